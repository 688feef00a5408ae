import type { Readable } from 'node:stream';
import { readLines } from './lines.js';
import { SourceError } from '../errors.js';

export interface TsvRow {
  /** 1-based line number in the file. */
  line: number;
  fields: string[];
  /** The line's text, with its newline when it had one. */
  raw: string;
}

/**
 * Streams an unquoted tab-separated file (the IMDb dataset format), checking its header, on the
 * shared bounded line splitter (./lines.ts). Empty lines are skipped (still counted). Rows with the
 * wrong number of fields are yielded as they are, for the caller to reject; a final line cut off
 * without its newline means the file was truncated and fails the read.
 */
export async function* readTsv(stream: Readable, name: string, header: readonly string[], maxLineBytes?: number): AsyncGenerator<TsvRow> {
  let first = true;
  let pendingLast: TsvRow | null = null;
  for await (const { line, text, terminated } of readLines(stream, name, maxLineBytes)) {
    if (text === '') continue;
    if (first) {
      first = false;
      if (text !== header.join('\t')) {
        throw new SourceError(`${name}: unexpected header "${excerpt(text)}"; expected the tab-separated columns ${header.join(', ')}`);
      }
      continue;
    }
    if (pendingLast) yield pendingLast;
    pendingLast = { line, fields: text.split('\t'), raw: terminated ? `${text}\n` : text };
  }
  if (first) throw new SourceError(`${name} is empty: expected a header line`);
  if (pendingLast) {
    const cutOff = !pendingLast.raw.endsWith('\n') && pendingLast.fields.length !== header.length;
    if (cutOff) throw new SourceError(`${name} is truncated: its last line ${pendingLast.line} is incomplete`);
    yield pendingLast;
  }
}

/** Longest line accepted; a longer one (a runaway field, a missing newline) is rejected, not stored. */
export const MAX_LINE_CHARS = 100_000;

/**
 * What makes a row unusable whatever its fields say: bytes that are not UTF-8 (decoded as U+FFFD,
 * which the datasets never contain) or a line beyond MAX_LINE_CHARS. Null when it is fine.
 */
export function rowProblem(row: TsvRow): string | null {
  if (row.raw.length > MAX_LINE_CHARS) return `line is ${row.raw.length} characters long; at most ${MAX_LINE_CHARS} are accepted`;
  if (row.raw.includes('\uFFFD')) return 'line is not valid UTF-8 (the invalid bytes are shown as \uFFFD in the excerpt)';
  return null;
}

export function excerpt(text: string, max = 200): string {
  const line = text.replace(/\r?\n$/, '');
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
