import { Transform, type TransformCallback } from 'node:stream';
import { SourceError } from '../errors.js';

/**
 * The bounds every provider input is read within, set by configuration (src/config.ts, the
 * INPUT_MAX_* variables) and enforced at the byte and line level here, in one place, whatever
 * parser reads the text afterwards: `openInput` (./input.ts) applies `boundedInput` to every file
 * and download, `readCsv` checks the columns, `StagingWriter` (src/ingest/staging.ts) the rows and
 * staged bytes of a run. A breach is a SourceError: the run fails fast with the reason and nothing
 * it read is merged.
 */
export interface InputLimits {
  /** Longest line (bytes, newline excluded): a longer one means no line structure at all (a file without newlines). */
  maxLineBytes: number;
  /** Most bytes one input may decompress to (a gzip bomb stops here). */
  maxDecompressedBytes: number;
  /** Most columns a CSV header may name. */
  maxColumns: number;
  /** Most rows (records, ratings, rejects, skipped lines) one run may read. */
  maxRows: number;
  /** Most bytes one run may write to the staging tables. */
  maxStagedBytes: number;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * Generous defaults: the largest real inputs (IMDb title.basics, ~12M lines and ~1 GB decompressed;
 * MovieLens 32M ratings.csv, ~0.9 GB) pass with room to spare.
 */
export const DEFAULT_INPUT_LIMITS: InputLimits = {
  maxLineBytes: 16 * MiB,
  maxDecompressedBytes: 8 * GiB,
  maxColumns: 1000,
  maxRows: 60_000_000,
  maxStagedBytes: 4 * GiB,
};

/** The configuration variable behind each limit, named in breach messages. */
export const LIMIT_VARIABLES: Record<keyof InputLimits, string> = {
  maxLineBytes: 'INPUT_MAX_LINE_BYTES',
  maxDecompressedBytes: 'INPUT_MAX_DECOMPRESSED_BYTES',
  maxColumns: 'INPUT_MAX_COLUMNS',
  maxRows: 'INPUT_MAX_ROWS',
  maxStagedBytes: 'INPUT_MAX_STAGED_BYTES',
};

/** The reason a limit was passed: `… (at most 16777216, INPUT_MAX_LINE_BYTES)`. */
export function limitReason(what: string, limit: keyof InputLimits, value: number): string {
  return `${what} (at most ${value}, ${LIMIT_VARIABLES[limit]})`;
}

const NEWLINE = 0x0a;

/**
 * A pass-through of the decompressed bytes that fails as soon as a line grows past
 * `maxLineBytes` or the whole input past `maxDecompressedBytes`, holding no more than one chunk:
 * memory stays constant whatever the input, and the reader upstream is not asked for more once
 * the bound is passed. `bytes()` tells how much came through (tests prove the bound with it).
 */
export function boundedInput(name: string, limits: Pick<InputLimits, 'maxLineBytes' | 'maxDecompressedBytes'>): Transform & { bytes(): number } {
  let total = 0;
  let lineBytes = 0;
  let line = 1;
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      total += chunk.length;
      if (total > limits.maxDecompressedBytes) {
        return callback(new SourceError(`${name}: ${limitReason('decompresses to more bytes than accepted', 'maxDecompressedBytes', limits.maxDecompressedBytes)}`));
      }
      let start = 0;
      for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, start)) {
        if (lineBytes + at - start > limits.maxLineBytes) break;
        lineBytes = 0;
        line++;
        start = at + 1;
      }
      lineBytes += chunk.length - start;
      if (lineBytes > limits.maxLineBytes) {
        return callback(new SourceError(
          `${name}: line ${line} is longer than ${limits.maxLineBytes} bytes — not a line-oriented file, or a runaway field ` +
            `(${LIMIT_VARIABLES.maxLineBytes})`,
        ));
      }
      callback(null, chunk);
    },
  });
  return Object.assign(transform, { bytes: () => total });
}

/**
 * The byte order mark or NUL pattern of a UTF-16 file in its first bytes, or null: `UTF-16 LE
 * with BOM`, `UTF-16 BE without BOM` (every other byte NUL, as ASCII text in UTF-16 is).
 */
export function utf16Kind(first: Buffer): string | null {
  if (first.length >= 2 && first[0] === 0xff && first[1] === 0xfe) return 'UTF-16 LE with a byte order mark';
  if (first.length >= 2 && first[0] === 0xfe && first[1] === 0xff) return 'UTF-16 BE with a byte order mark';
  const sample = first.subarray(0, 4096 - (Math.min(first.length, 4096) % 2));
  if (sample.length < 4) return null;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < sample.length; i += 2) {
    if (sample[i] === 0) evenNul++;
    if (sample[i + 1] === 0) oddNul++;
  }
  const pairs = sample.length / 2;
  if (oddNul >= pairs * 0.4 && evenNul <= pairs * 0.05) return 'UTF-16 LE without a byte order mark?';
  if (evenNul >= pairs * 0.4 && oddNul <= pairs * 0.05) return 'UTF-16 BE without a byte order mark?';
  return null;
}
