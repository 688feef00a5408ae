import { isAscii } from 'node:buffer';
import { Readable } from 'node:stream';
import { CsvRow, readCsv } from './csv.js';
import type { InputLimits } from './limits.js';
import type { SourceItem } from './types.js';
import { SourceError } from '../errors.js';

/**
 * ratings.csv of a MovieLens folder (ml-32m: 32M lines) reduced to a sum and count per movie in one
 * streaming pass: memory grows with movies, not lines.
 *
 * The file as MovieLens writes it (the header `userId,movieId,rating,timestamp`, unquoted ASCII
 * lines ending in LF) is scanned line by line by position, one batch per chunk: a line of plain
 * numbers is tallied without being split, anything else goes through the same checks as the CSV
 * path (`onRow`, so the rejects are the same). A chunk with anything a CSV parser must interpret
 * (a quote, a carriage return, a byte beyond ASCII) or a header in another order hands the rest of
 * the file, from the start of the line being read, to the CSV parser (readCsv) with the line
 * numbers carried on, so a quoted field spanning lines or a legacy encoding reads as before.
 * Lines are bounded by openInput (./limits.ts) before they get here.
 */

export interface Tally {
  sum: number;
  count: number;
  firstLine: number;
  /** The newest rating's timestamp (seconds since 1970): when MovieLens last saw the movie rated. */
  latest: number;
}

/** The header MovieLens writes; any other (columns in another order, extra columns) takes the CSV parser. */
const FAST_HEADER = 'userId,movieId,rating,timestamp';

/**
 * Most bytes turned into one string: a whole 256 KB chunk decoded is beyond V8's largest regular
 * object (128 KB), lands in the large-object space that only full collections free, and grew the
 * process's peak RSS with the file (32M lines: 322 MB).
 */
const SLICE = 64 * 1024;

/** The stream's chunks in pieces of at most SLICE bytes (views, not copies). */
async function* slices(stream: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  for await (const value of stream) {
    const chunk = typeof value === 'string' ? Buffer.from(value) : value;
    for (let at = 0; at < chunk.length; at += SLICE) yield chunk.subarray(at, at + SLICE);
  }
}
const QUOTE = 0x22;
const CR = 0x0d;

/**
 * Tallies `stream`'s ratings into `tallies` (movieId -> sum, count, first line, newest timestamp), yielding batches of
 * the rejects `onRow` returns for rows it cannot tally. `onRow` is the CSV path's per-row check
 * (movielens.ts tallyRating): it is called for every row the scan does not settle itself.
 */
export async function* tallyRatings(
  stream: Readable,
  name: string,
  required: readonly string[],
  tallies: Map<string, Tally>,
  onRow: (row: CsvRow, tallies: Map<string, Tally>) => SourceItem | null,
  limits?: Pick<InputLimits, 'maxColumns' | 'maxLineBytes'>,
): AsyncGenerator<SourceItem[]> {
  const columns = new Map(FAST_HEADER.split(',').map((column, index) => [column, index]));
  // Movies by number while scanning (no string per line), merged into `tallies` at the end.
  const byNumber = new TallyByNumber();
  const iterator = slices(stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  let rest = '';
  let line = 0; // lines consumed so far
  let headerSeen = false;
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      if (chunk.indexOf(QUOTE) >= 0 || chunk.indexOf(CR) >= 0 || !isAscii(chunk)) {
        // The rest of the file, from the line being read, goes to the CSV parser as bytes.
        const from = { text: rest, line: line + 1 };
        rest = '';
        yield* parseRest(from, chunk, !headerSeen);
        return;
      }
      const text = rest + chunk.toString('latin1');
      const out: SourceItem[] = [];
      let pos = 0;
      if (!headerSeen) {
        const newline = text.indexOf('\n');
        if (newline < 0) {
          rest = text;
          continue;
        }
        if (text.slice(0, newline) !== FAST_HEADER) {
          yield* parseRest({ text: '', line: 1 }, Buffer.from(text, 'latin1'), true);
          return;
        }
        headerSeen = true;
        line = 1;
        pos = newline + 1;
      }
      for (;;) {
        const newline = text.indexOf('\n', pos);
        if (newline < 0) break;
        line++;
        if (newline > pos && !tallyLine(text, pos, newline, line, byNumber)) {
          const item = onRow(csvRow(text, pos, newline, line, columns), tallies);
          if (item) out.push(item);
        }
        pos = newline + 1;
      }
      rest = text.slice(pos);
      if (out.length) yield out;
    }
    if (!headerSeen) {
      // No complete header line: the CSV parser says what is wrong (empty, another delimiter…).
      yield* parseRest({ text: '', line: 1 }, Buffer.from(rest, 'latin1'), true);
      return;
    }
    if (rest) {
      line++;
      const fields = rest.split(',');
      if (fields.length !== columns.size) throw new SourceError(`${name} is truncated: its last line ${line} is incomplete`);
      if (!tallyLine(rest, 0, rest.length, line, byNumber)) {
        const item = onRow(csvRow(rest, 0, rest.length, line, columns), tallies);
        if (item) yield [item];
      }
    }
  } finally {
    mergeTallies(byNumber, tallies);
  }

  /**
   * The rest of the file through readCsv: `from.text` (read already, starting on line `from.line`),
   * `chunk`, then the stream; with `withHeader` the text starts at the file's start.
   */
  async function* parseRest(from: { text: string; line: number }, chunk: Buffer, withHeader = false): AsyncGenerator<SourceItem[]> {
    async function* bytes() {
      // The header again (for readCsv's column check) unless the text still holds it.
      if (!withHeader) yield Buffer.from(`${FAST_HEADER}\n`, 'latin1');
      if (from.text) yield Buffer.from(from.text, 'latin1');
      yield chunk;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      }
    }
    const source = Readable.from(bytes(), { objectMode: false });
    let out: SourceItem[] = [];
    const offset = withHeader ? 0 : from.line - 2;
    for await (const row of readCsv(source, name, { required, keepRaw: false, lineOffset: offset, limits })) {
      const item = onRow(row, tallies);
      if (item) out.push(item);
      if (out.length >= 1000) {
        yield out;
        out = [];
      }
    }
    if (out.length) yield out;
  }
}

/**
 * Tallies text[start, end) when it is four plain numbers as MovieLens writes them (ids without
 * leading zeros, a rating of digits and at most one point within 0.5-5, a whole timestamp); false
 * for anything else, which the CSV path's checks then decide.
 */
function tallyLine(text: string, start: number, end: number, line: number, byNumber: TallyByNumber): boolean {
  const c1 = text.indexOf(',', start);
  if (c1 < 0 || c1 >= end) return false;
  const c2 = text.indexOf(',', c1 + 1);
  if (c2 < 0 || c2 >= end) return false;
  const c3 = text.indexOf(',', c2 + 1);
  if (c3 < 0 || c3 >= end) return false;
  const c4 = text.indexOf(',', c3 + 1);
  if (c4 >= 0 && c4 < end) return false;
  if (!plainId(text, start, c1) || !plainId(text, c1 + 1, c2) || !digits(text, c3 + 1, end)) return false;
  const movie = numberAt(text, c1 + 1, c2);
  const timestamp = numberAt(text, c3 + 1, end);
  if (!Number.isSafeInteger(movie) || !Number.isSafeInteger(timestamp)) return false;
  const value = ratingAt(text, c2 + 1, c3);
  if (value === null) return false;
  byNumber.add(movie, value, line, timestamp);
  return true;
}

/**
 * Tallies by movie number: typed arrays indexed by the number (ml-32m's ids reach ~290k: a few MB),
 * a Map for numbers beyond DENSE_MAX. One array write per line instead of a Map lookup.
 */
class TallyByNumber {
  private static readonly DENSE_MAX = 1 << 22;
  private sum = new Float64Array(1024);
  private count = new Float64Array(1024);
  private firstLine = new Float64Array(1024);
  private latest = new Float64Array(1024);
  private readonly sparse = new Map<number, Tally>();

  add(movie: number, value: number, line: number, timestamp: number): void {
    if (movie >= TallyByNumber.DENSE_MAX) {
      const tally = this.sparse.get(movie);
      if (tally) {
        tally.sum += value;
        tally.count++;
        if (timestamp > tally.latest) tally.latest = timestamp;
      } else {
        this.sparse.set(movie, { sum: value, count: 1, firstLine: line, latest: timestamp });
      }
      return;
    }
    if (movie >= this.sum.length) this.grow(movie);
    if (this.count[movie] === 0) {
      this.firstLine[movie] = line;
      this.latest[movie] = timestamp;
    } else if (timestamp > this.latest[movie]!) {
      this.latest[movie] = timestamp;
    }
    this.sum[movie]! += value;
    this.count[movie]!++;
  }

  /** Every tallied movie, by number. */
  *entries(): Generator<[number, Tally]> {
    for (let movie = 0; movie < this.count.length; movie++) {
      const count = this.count[movie]!;
      if (count > 0) yield [movie, { sum: this.sum[movie]!, count, firstLine: this.firstLine[movie]!, latest: this.latest[movie]! }];
    }
    yield* this.sparse;
  }

  clear(): void {
    this.count.fill(0);
    this.sparse.clear();
  }

  private grow(movie: number): void {
    let size = this.sum.length;
    while (size <= movie) size *= 2;
    const grown = (from: Float64Array) => {
      const to = new Float64Array(size);
      to.set(from);
      return to;
    };
    this.sum = grown(this.sum);
    this.count = grown(this.count);
    this.firstLine = grown(this.firstLine);
    this.latest = grown(this.latest);
  }
}

/** Digits only, at least one, the first not 0 (what id() accepts without rewriting it). */
function plainId(text: string, start: number, end: number): boolean {
  return end > start && text.charCodeAt(start) !== 48 && digits(text, start, end);
}

function digits(text: string, start: number, end: number): boolean {
  if (end <= start || end - start > 15) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function numberAt(text: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) n = n * 10 + (text.charCodeAt(i) - 48);
  return n;
}

/** `d`, `d.`, `d.d…` (one leading digit) in 0.5-5, or null. */
function ratingAt(text: string, start: number, end: number): number | null {
  const length = end - start;
  if (length < 1 || length > 8) return null;
  const first = text.charCodeAt(start) - 48;
  if (first < 0 || first > 9) return null;
  if (length > 1 && text.charCodeAt(start + 1) !== 46) return null;
  if (length > 2 && !digits(text, start + 2, end)) return null;
  // "3.5", as MovieLens writes every rating, without a string; longer decimals through Number.
  const value = length === 3 ? first + (text.charCodeAt(start + 2) - 48) / 10 : length > 2 ? Number(text.slice(start, end)) : first;
  return value >= 0.5 && value <= 5 ? value : null;
}

function csvRow(text: string, start: number, end: number, line: number, columns: ReadonlyMap<string, number>): CsvRow {
  const fields = text.slice(start, end).split(',');
  const problem = fields.length === columns.size ? null : `expected ${columns.size} comma-separated fields, found ${fields.length}`;
  return new CsvRow(line, fields, columns, problem, null);
}

/** The scan's tallies (by movie number) into `tallies` (by movieId as text), keeping the first line of each. */
function mergeTallies(byNumber: TallyByNumber, tallies: Map<string, Tally>): void {
  for (const [movie, tally] of byNumber.entries()) {
    const key = String(movie);
    const other = tallies.get(key);
    if (!other) {
      tallies.set(key, tally);
      continue;
    }
    other.sum += tally.sum;
    other.count += tally.count;
    other.firstLine = Math.min(other.firstLine, tally.firstLine);
    other.latest = Math.max(other.latest, tally.latest);
  }
  byNumber.clear();
}
