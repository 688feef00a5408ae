import { imdbFacts } from './imdb-definition.js';
import { openInput } from './input.js';
import { excerpt, fieldCount, readTsvBatches, rowProblem, tsvRow, type TsvLineHandler, type TsvRow } from './tsv.js';
import { type ReadContext, type SourceAdapter, type SourceItem, type SourceLocation } from './types.js';
import { SourceError, RowError } from '../errors.js';

/**
 * IMDb non-commercial datasets: title.basics.tsv(.gz) and title.ratings.tsv(.gz), unquoted TSV with
 * `\N` for null. Only titleType `movie` is kept; ratings are joined to their titles by tconst when
 * the run is merged, so neither file needs to fit in memory.
 *
 * The real title.basics has ~12M lines of which ~6 % are movies, so the reader decides about a
 * line from its first two columns before splitting it (readTsvBatches hands lines over by
 * position): a well-formed line of another title type is only counted. Ratings of titles that are
 * not movies of this file (~85 % of title.ratings) are validated and counted, not staged: the merge
 * would ignore them anyway (a rating is joined to a record of the same run). The movies' tconsts
 * are remembered in a bitmap (a few MB for the real dump), not a Set of strings.
 */
export const BASICS_HEADER = [
  'tconst', 'titleType', 'primaryTitle', 'originalTitle', 'isAdult', 'startYear', 'endYear', 'runtimeMinutes', 'genres',
] as const;
export const RATINGS_HEADER = ['tconst', 'averageRating', 'numVotes'] as const;

const TCONST = /^tt\d{7,}$/;
const NULL = '\\N';

export const imdbAdapter: SourceAdapter = {
  ...imdbFacts,
  checkLocation(location) {
    for (const key of ['basics', 'ratings'] as const) {
      if (typeof location[key] !== 'string' || !location[key]) {
        throw new SourceError(`IMDb import needs --${key} (path or URL of title.${key}.tsv or .tsv.gz)`);
      }
    }
  },
  async *read(location: SourceLocation, context: ReadContext): AsyncGenerator<SourceItem> {
    for await (const batch of readImdbBatches(this, location, context)) yield* batch;
  },
  readBatches(location: SourceLocation, context: ReadContext): AsyncGenerator<SourceItem[]> {
    return readImdbBatches(this, location, context);
  },
};

async function* readImdbBatches(adapter: SourceAdapter, location: SourceLocation, context: ReadContext): AsyncGenerator<SourceItem[]> {
  adapter.checkLocation(location);
  const movies = new TconstSet();
  const basics = await openInput(location.basics as string, context);
  yield* readTsvBatches(basics.stream, basics.name, BASICS_HEADER, basicsLine(movies), context.limits?.maxLineBytes);
  const ratings = await openInput(location.ratings as string, context);
  yield* readTsvBatches(ratings.stream, ratings.name, RATINGS_HEADER, ratingsLine(movies), context.limits?.maxLineBytes);
}

/**
 * A title.basics line: a well-formed line (9 fields, a valid tconst) of another title type is
 * skipped without being split; anything else goes through parseBasics, so rejects are the same.
 */
function basicsLine(movies: TconstSet): TsvLineHandler {
  return (text, start, end, line, out) => {
    const typeStart = text.indexOf('\t', start) + 1;
    const typeEnd = typeStart > 0 && typeStart <= end ? text.indexOf('\t', typeStart) : -1;
    const isMovie = typeEnd === typeStart + 5 && text.startsWith('movie', typeStart);
    if (!isMovie && typeEnd >= 0 && typeEnd < end && validTconst(text, start, typeStart - 1)
        && fieldCount(text, typeEnd + 1, end) + 2 === BASICS_HEADER.length) {
      return;
    }
    const item = parseBasics(tsvRow(text, start, end, line));
    if (!item) return;
    if (item.type === 'record') movies.add(item.record.externalId);
    out.push(item);
  };
}

/**
 * A title.ratings line: validated as parseRating does; a valid rating of a title that is no movie
 * of this run is skipped. Most are (~77 % of the real file's 1.6M lines): a plainly written one is
 * recognised by position, without being split (skippedRating); anything else goes through parseRating.
 */
function ratingsLine(movies: TconstSet): TsvLineHandler {
  return (text, start, end, line, out) => {
    if (skippedRating(text, start, end, movies)) return;
    const item = parseRating(tsvRow(text, start, end, line));
    if (item.type === 'rating' && !movies.has(item.externalId)) return;
    out.push(item);
  };
}

/**
 * Whether text[start, end) is a rating parseRating accepts, of a title the bitmap of `movies` says
 * is not one of this run's movies: three fields, a valid tconst, averageRating written as digits
 * (and a fraction) from 1 to 10, numVotes as at most 15 digits. A line written any other way is
 * left to parseRating, which accepts or rejects it.
 */
function skippedRating(text: string, start: number, end: number, movies: TconstSet): boolean {
  const tab1 = text.indexOf('\t', start);
  if (tab1 < 0 || tab1 >= end) return false;
  const tab2 = text.indexOf('\t', tab1 + 1);
  if (tab2 < 0 || tab2 >= end) return false;
  const tab3 = text.indexOf('\t', tab2 + 1);
  if (tab3 >= 0 && tab3 < end) return false;
  if (!validTconst(text, start, tab1)) return false;
  const n = movies.numberAt(text, start, tab1);
  if (n === null || movies.hasNumber(n)) return false;
  return plainAverage(text, tab1 + 1, tab2) && plainCount(text, tab2 + 1, end);
}

/** text[start, end) is digits, with a fraction of digits or none, from 1 to 10 (what Number() reads as such). */
function plainAverage(text: string, start: number, end: number): boolean {
  let whole = 0;
  let i = start;
  for (; i < end && text.charCodeAt(i) !== 46; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
    whole = whole * 10 + (c - 48);
    if (whole > 10) return false;
  }
  if (i === start || whole < 1) return false;
  let fractionZero = true;
  if (i < end) {
    if (i + 1 === end) return false;
    for (let j = i + 1; j < end; j++) {
      const c = text.charCodeAt(j);
      if (c < 48 || c > 57) return false;
      if (c !== 48) fractionZero = false;
    }
  }
  return whole < 10 || fractionZero;
}

/** text[start, end) is 1 to 15 digits (a safe integer). */
function plainCount(text: string, start: number, end: number): boolean {
  if (end <= start || end - start > 15) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Whether text[start, end) is a tconst: `tt` and at least 7 digits. */
function validTconst(text: string, start: number, end: number): boolean {
  if (end - start < 9 || text.charCodeAt(start) !== 116 || text.charCodeAt(start + 1) !== 116) return false;
  for (let i = start + 2; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * A set of tconsts: a bitmap by number (tt0000001 … tt268435455, what IMDb has used and will for
 * years: 32 MB at the very most, grown as needed), a Set for any beyond or written with extra zeros.
 */
class TconstSet {
  private static readonly MAX_BITMAP = 2 ** 28;
  private bits = new Uint32Array(1 << 16);
  private readonly others = new Set<string>();

  add(tconst: string): void {
    const n = this.number(tconst);
    if (n === null) {
      this.others.add(tconst);
      return;
    }
    const word = n >>> 5;
    if (word >= this.bits.length) {
      let size = this.bits.length;
      while (size <= word) size *= 2;
      const grown = new Uint32Array(size);
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits[word]! |= 1 << (n & 31);
  }

  has(tconst: string): boolean {
    const n = this.number(tconst);
    return n === null ? this.others.has(tconst) : this.hasNumber(n);
  }

  /** Whether the bitmap holds the tconst numbered n (numberAt's). */
  hasNumber(n: number): boolean {
    const word = n >>> 5;
    return word < this.bits.length && (this.bits[word]! & (1 << (n & 31))) !== 0;
  }

  /**
   * The number of the valid tconst text[start, end) (validTconst) when the bitmap holds such
   * tconsts (canonical: 7 digits, or more without a leading zero; below MAX_BITMAP), without
   * slicing it; null for one the Set holds.
   */
  numberAt(text: string, start: number, end: number): number | null {
    const digits = end - start - 2;
    if (digits > 9 || (digits > 7 && text.charCodeAt(start + 2) === 48)) return null;
    let n = 0;
    for (let i = start + 2; i < end; i++) n = n * 10 + (text.charCodeAt(i) - 48);
    return n < TconstSet.MAX_BITMAP ? n : null;
  }

  /** The (valid) tconst's number when the bitmap holds it: canonical (7 digits, or more without a leading zero) and small enough. */
  private number(tconst: string): number | null {
    return this.numberAt(tconst, 0, tconst.length);
  }
}

/** Longest primaryTitle or originalTitle accepted. */
const MAX_TITLE_CHARS = 1000;

/** A title.basics row as a record, null for a title that is not a movie, or a reject. */
export function parseBasics(row: TsvRow): SourceItem | null {
  const reject = (reason: string): SourceItem => ({
    type: 'reject', reason, line: row.line, reference: row.fields[0], excerpt: excerpt(row.raw),
  });
  const problem = rowProblem(row);
  if (problem) return reject(problem);
  if (row.fields.length !== BASICS_HEADER.length) {
    return reject(`expected ${BASICS_HEADER.length} tab-separated fields, found ${row.fields.length}`);
  }
  const [tconst, titleType, primaryTitle, originalTitle, isAdult, startYear, endYear, runtime, genres] = row.fields as [
    string, string, string, string, string, string, string, string, string,
  ];
  if (!TCONST.test(tconst)) return reject(`invalid tconst "${tconst}"`);
  if (titleType !== 'movie') return null;
  try {
    const title = nullable(primaryTitle);
    if (!title) throw new RowError('primaryTitle is empty');
    // A runaway title cannot be indexed (and is no title): reject the row rather than fail the run.
    if (title.length > MAX_TITLE_CHARS || originalTitle.length > MAX_TITLE_CHARS) {
      throw new RowError(`title is longer than ${MAX_TITLE_CHARS} characters`);
    }
    if (isAdult !== '0' && isAdult !== '1') throw new RowError(`isAdult must be 0 or 1, found "${isAdult}"`);
    const year = integer(startYear, 'startYear', 1870, 2200);
    return {
      type: 'record',
      line: row.line,
      record: {
        externalId: tconst,
        title,
        originalTitle: nullable(originalTitle),
        year,
        releaseDate: null,
        runtimeMinutes: integer(runtime, 'runtimeMinutes', 0, 100_000),
        genres: nullable(genres)?.split(',').map((g) => g.trim()).filter(Boolean) ?? [],
        ratings: [],
        imdbId: tconst,
        tmdbId: null,
        overview: null,
        posterUrl: null,
        isAdult: isAdult === '1',
        payload: {
          tconst, titleType, primaryTitle, originalTitle: nullable(originalTitle), isAdult: isAdult === '1',
          startYear: year, endYear: nullable(endYear), runtimeMinutes: nullable(runtime), genres: nullable(genres),
        },
      },
    };
  } catch (error) {
    if (error instanceof RowError) return reject(error.message);
    throw error;
  }
}

/** A title.ratings row as a users rating, or a reject (which keeps the stored rating of the title it names). */
export function parseRating(row: TsvRow): SourceItem {
  const reject = (reason: string): SourceItem => ({
    type: 'reject', reason, line: row.line, reference: row.fields[0], excerpt: excerpt(row.raw), holds: 'ratings',
  });
  const problem = rowProblem(row);
  if (problem) return reject(problem);
  if (row.fields.length !== RATINGS_HEADER.length) {
    return reject(`expected ${RATINGS_HEADER.length} tab-separated fields, found ${row.fields.length}`);
  }
  const [tconst, average, votes] = row.fields as [string, string, string];
  if (!TCONST.test(tconst)) return reject(`invalid tconst "${tconst}"`);
  const value = Number(average);
  if (average === '' || !Number.isFinite(value) || value < 1 || value > 10) {
    return reject(`averageRating must be a number from 1 to 10, found "${average}"`);
  }
  const count = Number(votes);
  if (!/^\d+$/.test(votes) || !Number.isSafeInteger(count)) return reject(`numVotes must be a whole number, found "${votes}"`);
  return { type: 'rating', externalId: tconst, rating: { kind: 'users', value, votes: count }, line: row.line };
}

function nullable(value: string): string | null {
  return value === NULL || value === '' ? null : value;
}

function integer(value: string, field: string, min: number, max: number): number | null {
  const text = nullable(value);
  if (text === null) return null;
  if (!/^\d+$/.test(text)) throw new RowError(`${field} must be a whole number or \\N, found "${value}"`);
  const n = Number(text);
  if (n < min || n > max) throw new RowError(`${field} ${n} is out of range ${min}-${max}`);
  return n;
}
