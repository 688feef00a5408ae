import type { Readable } from 'node:stream';
import { readLineBatches } from './lines.js';
import type { SourceItem } from './types.js';
import { SourceError } from '../errors.js';

export interface TsvRow {
  /** 1-based line number in the file. */
  line: number;
  fields: string[];
  /** The line's text, with its newline when it had one. */
  raw: string;
}

/**
 * Called for each data line that passed the line checks (length, UTF-8): the line is
 * `text.slice(start, end)` (without its line end), numbered `line`. Pushes at most one item onto
 * `out`; a line that pushes none is counted as skipped. Reading `text` by position, a handler can
 * decide about a line without slicing or splitting it.
 */
export type TsvLineHandler = (text: string, start: number, end: number, line: number, out: SourceItem[]) => void;

/**
 * Streams an unquoted tab-separated file (the IMDb dataset format) in batches, one per chunk of the
 * shared bounded line splitter (./lines.ts), checking its header: no per-line async step and no
 * per-line string for lines the handler skips. Empty lines are skipped (still counted). A line
 * longer than MAX_LINE_CHARS or holding bytes that are not UTF-8 is rejected here (as rowProblem
 * says); a final line cut off without its newline and with the wrong number of fields means the
 * file was truncated and fails the read. Each batch ends with one `skip` item counting the lines skipped.
 */
export async function* readTsvBatches(
  stream: Readable, name: string, header: readonly string[], handle: TsvLineHandler, maxLineBytes?: number,
): AsyncGenerator<SourceItem[]> {
  const expectedHeader = header.join('\t');
  let headerSeen = false;
  for await (const { text, starts, ends, firstLine, lastTerminated } of readLineBatches(stream, name, maxLineBytes)) {
    const out: SourceItem[] = [];
    let lines = 0;
    // Lines holding U+FFFD (bytes that were not UTF-8) are found from the batch, not line by line.
    let bad = text.indexOf('\uFFFD');
    const last = starts.length - 1;
    for (let i = 0; i <= last; i++) {
      const start = starts[i]!;
      const end = ends[i]!;
      const line = firstLine + i;
      if (end === start) continue;
      if (!headerSeen) {
        headerSeen = true;
        const got = text.slice(start, end);
        if (got !== expectedHeader) {
          throw new SourceError(`${name}: unexpected header "${excerpt(got)}"; expected the tab-separated columns ${header.join(', ')}`);
        }
        continue;
      }
      const terminated = i < last || lastTerminated;
      if (!terminated && fieldCount(text, start, end) !== header.length) {
        throw new SourceError(`${name} is truncated: its last line ${line} is incomplete`);
      }
      lines++;
      while (bad >= 0 && bad < start) bad = text.indexOf('\uFFFD', start);
      const length = end - start + (terminated ? 1 : 0);
      if (length > MAX_LINE_CHARS) {
        out.push(lineReject(text, start, end, line, tooLong(length)));
      } else if (bad >= 0 && bad < end) {
        out.push(lineReject(text, start, end, line, NOT_UTF8));
      } else {
        handle(text, start, end, line, out);
      }
    }
    if (lines > out.length) out.push({ type: 'skip', count: lines - out.length });
    if (out.length) yield out;
  }
  if (!headerSeen) throw new SourceError(`${name} is empty: expected a header line`);
}

/** How many tab-separated fields text[start, end) has. */
export function fieldCount(text: string, start: number, end: number): number {
  let count = 1;
  for (let tab = text.indexOf('\t', start); tab >= 0 && tab < end; tab = text.indexOf('\t', tab + 1)) count++;
  return count;
}

/** The line text[start, end) as a row: its fields, and its text with a line end as it was read. */
export function tsvRow(text: string, start: number, end: number, line: number): TsvRow {
  const raw = text.slice(start, end);
  return { line, fields: raw.split('\t'), raw: `${raw}\n` };
}

function lineReject(text: string, start: number, end: number, line: number, reason: string): SourceItem {
  const head = text.slice(start, Math.min(end, start + 1000));
  return { type: 'reject', line, reason, reference: head.split('\t', 1)[0], excerpt: excerpt(head) };
}

/** Longest line accepted; a longer one (a runaway field, a missing newline) is rejected, not stored. */
export const MAX_LINE_CHARS = 100_000;

const NOT_UTF8 = 'line is not valid UTF-8 (the invalid bytes are shown as \uFFFD in the excerpt)';
const tooLong = (length: number) => `line is ${length} characters long; at most ${MAX_LINE_CHARS} are accepted`;

/**
 * What makes a row unusable whatever its fields say: bytes that are not UTF-8 (decoded as U+FFFD,
 * which the datasets never contain) or a line beyond MAX_LINE_CHARS. Null when it is fine.
 */
export function rowProblem(row: TsvRow): string | null {
  if (row.raw.length > MAX_LINE_CHARS) return tooLong(row.raw.length);
  if (row.raw.includes('\uFFFD')) return NOT_UTF8;
  return null;
}

export function excerpt(text: string, max = 200): string {
  const line = text.replace(/\r?\n$/, '');
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
