import { imdbFacts } from './imdb-definition.js';
import { openInput } from './input.js';
import { excerpt, readTsv, rowProblem, type TsvRow } from './tsv.js';
import { type ReadContext, type SourceAdapter, type SourceItem, type SourceLocation } from './types.js';
import { SourceError, RowError } from '../errors.js';

/**
 * IMDb non-commercial datasets: title.basics.tsv(.gz) and title.ratings.tsv(.gz), unquoted TSV with
 * `\N` for null. Only titleType `movie` is kept; ratings are joined to their titles by tconst when
 * the run is merged, so neither file needs to fit in memory.
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
    this.checkLocation(location);
    const basics = location.basics as string;
    const ratings = location.ratings as string;
    yield* readBasics(basics, context);
    yield* readRatings(ratings, context);
  },
};

async function* readBasics(location: string, context: ReadContext): AsyncGenerator<SourceItem> {
  const input = await openInput(location, context);
  for await (const row of readTsv(input.stream, input.name, BASICS_HEADER, context.limits?.maxLineBytes)) {
    yield parseBasics(row) ?? { type: 'skip', line: row.line };
  }
}

async function* readRatings(location: string, context: ReadContext): AsyncGenerator<SourceItem> {
  const input = await openInput(location, context);
  for await (const row of readTsv(input.stream, input.name, RATINGS_HEADER, context.limits?.maxLineBytes)) {
    yield parseRating(row);
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

/** A title.ratings row as a users rating, or a reject. */
export function parseRating(row: TsvRow): SourceItem {
  const reject = (reason: string): SourceItem => ({
    type: 'reject', reason, line: row.line, reference: row.fields[0], excerpt: excerpt(row.raw),
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
