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
const LF = 0x0a;
const COMMA = 0x2c;
const POINT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const EMPTY = Buffer.alloc(0);
const NEWLINE = Buffer.from('\n');

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
  // The incomplete last line of the bytes scanned so far (a copy: a few bytes).
  let rest: Buffer = EMPTY;
  let line = 0; // lines consumed so far
  let headerSeen = false;
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      if (chunk.indexOf(QUOTE) >= 0 || chunk.indexOf(CR) >= 0 || !isAscii(chunk)) {
        // The rest of the file, from the line being read, goes to the CSV parser as bytes.
        const from = { text: rest.toString('latin1'), line: line + 1 };
        rest = EMPTY;
        yield* parseRest(from, chunk, !headerSeen);
        return;
      }
      const bytes = rest.length ? Buffer.concat([rest, chunk]) : chunk;
      let pos = 0;
      if (!headerSeen) {
        const newline = bytes.indexOf(LF);
        if (newline < 0) {
          rest = Buffer.from(bytes);
          continue;
        }
        if (bytes.toString('latin1', 0, newline) !== FAST_HEADER) {
          yield* parseRest({ text: '', line: 1 }, bytes, true);
          return;
        }
        headerSeen = true;
        line = 1;
        pos = newline + 1;
      }
      // Every complete line: tallied in one pass over its bytes, or (rarely) checked as a CSV row.
      const out: SourceItem[] = [];
      for (;;) {
        const after = pos < bytes.length ? tallyLine(bytes, pos, line + 1, byNumber) : -1;
        if (after >= 0) {
          line++;
          pos = after;
          continue;
        }
        const newline = bytes.indexOf(LF, pos);
        if (newline < 0) break;
        line++;
        if (newline > pos) {
          const item = onRow(csvRow(bytes.toString('latin1', pos, newline), line, columns), tallies);
          if (item) out.push(item);
        }
        pos = newline + 1;
      }
      rest = pos < bytes.length ? Buffer.from(bytes.subarray(pos)) : EMPTY;
      if (out.length) yield out;
    }
    if (!headerSeen) {
      // No complete header line: the CSV parser says what is wrong (empty, another delimiter…).
      yield* parseRest({ text: '', line: 1 }, rest, true);
      return;
    }
    if (rest.length) {
      line++;
      const text = rest.toString('latin1');
      const fields = text.split(',');
      if (fields.length !== columns.size) throw new SourceError(`${name} is truncated: its last line ${line} is incomplete`);
      // The scan needs a line's end: the last line is given one.
      if (tallyLine(Buffer.concat([rest, NEWLINE]), 0, line, byNumber) < 0) {
        const item = onRow(csvRow(text, line, columns), tallies);
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
 * Tallies the line starting at `start` when it is four plain numbers as MovieLens writes them
 * (ids without leading zeros, a rating of digits and at most one point within 0.5-5, a whole
 * timestamp; at most 15 digits a number) ending in LF, read in one pass over its bytes without a
 * string; returns the position after its LF, or -1 for anything else (the CSV path's checks then
 * decide, and an incomplete line waits for the next chunk).
 */
function tallyLine(b: Uint8Array, start: number, line: number, byNumber: TallyByNumber): number {
  const n = b.length;
  let i = start;
  let c = b[i]!;
  // userId
  if (c === ZERO) return -1;
  while (i < n && (c = b[i]!) >= ZERO && c <= NINE) i++;
  if (i === start || i - start > 15 || i >= n || c !== COMMA) return -1;
  // movieId
  let at = ++i;
  let movie = 0;
  if (b[i] === ZERO) return -1;
  while (i < n && (c = b[i]!) >= ZERO && c <= NINE) {
    movie = movie * 10 + (c - ZERO);
    i++;
  }
  if (i === at || i - at > 15 || i >= n || c !== COMMA) return -1;
  // rating: d, d. or d.d…, at most 8 characters
  at = ++i;
  if (i >= n) return -1;
  c = b[i]!;
  if (c < ZERO || c > NINE) return -1;
  let value = c - ZERO;
  i++;
  if (i < n && b[i] === POINT) {
    i++;
    const fraction = i;
    while (i < n && (c = b[i]!) >= ZERO && c <= NINE) i++;
    if (i - at > 8) return -1;
    // "3.5", as MovieLens writes every rating, without a string; longer decimals through Number.
    if (i - fraction === 1) value += (b[fraction]! - ZERO) / 10;
    else if (i - fraction > 1) value = Number(Buffer.from(b.buffer, b.byteOffset + at, i - at).toString('latin1'));
  }
  if (i >= n || b[i] !== COMMA || !(value >= 0.5 && value <= 5)) return -1;
  // timestamp, then the line's end
  at = ++i;
  let timestamp = 0;
  while (i < n && (c = b[i]!) >= ZERO && c <= NINE) {
    timestamp = timestamp * 10 + (c - ZERO);
    i++;
  }
  if (i === at || i - at > 15 || i >= n || c !== LF) return -1;
  byNumber.add(movie, value, line, timestamp);
  return i + 1;
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

function csvRow(text: string, line: number, columns: ReadonlyMap<string, number>): CsvRow {
  const fields = text.split(',');
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
