import path from 'node:path';
import { readCsv, type CsvRow } from './csv.js';
import { openInput } from './input.js';
import { movieLensFacts } from './movielens-definition.js';
import { tallyRatings, type Tally } from './movielens-ratings.js';
import { parseMovieLensTitle } from './movielens-title.js';
import { type ReadContext, type SourceAdapter, type SourceItem, type SourceLocation } from './types.js';
import { decimal, wholeNumber } from './values.js';
import { RowError, SourceError } from '../errors.js';

/**
 * MovieLens CSVs in one folder or under one http(s) base URL: movies.csv (movieId, title, genres),
 * links.csv (movieId, imdbId, tmdbId) and ratings.csv (userId, movieId, rating, timestamp). Any
 * other file (tags.csv, genome-*.csv) is ignored.
 *
 * ratings.csv runs to tens of millions of rows, so it is reduced in one streaming pass to a sum
 * and count per movie (memory grows with movies, not rows; plain lines are tallied by position,
 * movielens-ratings.ts) and yields one `users` rating per movie at the end, joined to the movie's
 * record when the run is merged.
 */
export const MOVIES_COLUMNS = ['movieId', 'title', 'genres'] as const;
export const LINKS_COLUMNS = ['movieId', 'imdbId', 'tmdbId'] as const;
export const RATINGS_COLUMNS = ['userId', 'movieId', 'rating', 'timestamp'] as const;

const NO_GENRES = '(no genres listed)';
const MAX_ID = Number.MAX_SAFE_INTEGER;

export interface Link {
  imdbId: string | null;
  tmdbId: string | null;
  raw: { imdbId: string; tmdbId: string };
  line: number;
}

export type { Tally };

/** The newest rating's time as ISO 8601: the rating's sourceUpdatedAt; none beyond the dates JavaScript can hold. */
export function latestRatingAt(tally: Tally): string | undefined {
  return tally.latest <= 8_640_000_000_000 ? new Date(tally.latest * 1000).toISOString() : undefined;
}

export const movieLensAdapter: SourceAdapter = {
  ...movieLensFacts,
  checkLocation(location) {
    if (typeof location.dir !== 'string' || !location.dir) {
      throw new SourceError('MovieLens import needs --dir (folder or http(s) base URL holding movies.csv, links.csv and ratings.csv)');
    }
  },
  async *read(location: SourceLocation, context: ReadContext): AsyncGenerator<SourceItem> {
    for await (const batch of readMovieLens(this, location, context)) yield* batch;
  },
  readBatches(location: SourceLocation, context: ReadContext): AsyncGenerator<SourceItem[]> {
    return readMovieLens(this, location, context);
  },
};

async function* readMovieLens(adapter: SourceAdapter, location: SourceLocation, context: ReadContext): AsyncGenerator<SourceItem[]> {
  adapter.checkLocation(location);
  const dir = location.dir as string;
  const links = new Map<string, Link>();
  yield* batched(readLinks(fileIn(dir, 'links.csv'), links, context));
  const movieIds = new Set<string>();
  yield* batched(readMovies(fileIn(dir, 'movies.csv'), links, movieIds, context));
  // Not needed for ratings.csv: the long scan keeps less alive (ml-32m: 87k links, ~20 MB of heap).
  links.clear();
  yield* readRatings(fileIn(dir, 'ratings.csv'), movieIds, context);
}

/** Items in batches of up to 1,000. */
async function* batched(items: AsyncIterable<SourceItem>): AsyncGenerator<SourceItem[]> {
  let batch: SourceItem[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= 1000) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** A file of the MovieLens folder, local or under a base URL. */
export function fileIn(dir: string, name: string): string {
  return /^https?:\/\//i.test(dir) ? `${dir.replace(/\/+$/, '')}/${name}` : path.join(dir, name);
}

async function* readLinks(location: string, links: Map<string, Link>, context: ReadContext): AsyncGenerator<SourceItem> {
  const input = await openInput(location, context);
  for await (const row of readCsv(input.stream, input.name, { required: LINKS_COLUMNS, limits: context.limits })) {
    const item = parseLink(row, links);
    if (item) yield item;
  }
}

async function* readMovies(
  location: string, links: Map<string, Link>, movieIds: Set<string>, context: ReadContext,
): AsyncGenerator<SourceItem> {
  const input = await openInput(location, context);
  for await (const row of readCsv(input.stream, input.name, { required: MOVIES_COLUMNS, limits: context.limits })) {
    const item = parseMovie(row, links);
    if (item.type === 'record') movieIds.add(item.record.externalId);
    yield item;
  }
}

async function* readRatings(location: string, movieIds: Set<string>, context: ReadContext): AsyncGenerator<SourceItem[]> {
  const input = await openInput(location, context);
  const tallies = new Map<string, Tally>();
  yield* tallyRatings(input.stream, input.name, RATINGS_COLUMNS, tallies, tallyRating, context.limits);
  // Movies in the order they were first rated.
  const ordered = [...tallies].sort((a, b) => a[1].firstLine - b[1].firstLine);
  tallies.clear();
  let batch: SourceItem[] = [];
  for (const [movieId, tally] of ordered) {
    batch.push(movieIds.has(movieId)
      ? {
          type: 'rating', externalId: movieId,
          rating: { kind: 'users', value: mean(tally), votes: tally.count, sourceUpdatedAt: latestRatingAt(tally) },
        }
      : {
          type: 'reject', line: tally.firstLine, reference: movieId, holds: 'ratings',
          reason: `ratings.csv rates movieId ${movieId} ${tally.count} time${tally.count === 1 ? '' : 's'}, but movies.csv does not list it`,
        });
    if (batch.length >= 1000) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** Adds a links.csv row to `links`; returns a reject for a bad or repeated row, otherwise null. */
export function parseLink(row: CsvRow, links: Map<string, Link>): SourceItem | null {
  const reject = (reason: string): SourceItem => ({
    type: 'reject', reason, line: row.line, reference: row.get('movieId') || undefined, excerpt: row.excerpt,
  });
  if (row.problem) return reject(`links.csv: ${row.problem}`);
  try {
    const movieId = id(row.get('movieId'), 'movieId');
    const earlier = links.get(movieId);
    if (earlier) throw new RowError(`movieId ${movieId} is linked twice; the first link (line ${earlier.line}) is kept`);
    const tmdb = wholeNumber(row.get('tmdbId'), 'tmdbId', 1, MAX_ID);
    links.set(movieId, {
      imdbId: imdbId(row.get('imdbId')),
      tmdbId: tmdb === null ? null : String(tmdb),
      raw: { imdbId: row.get('imdbId'), tmdbId: row.get('tmdbId') },
      line: row.line,
    });
    return null;
  } catch (error) {
    if (error instanceof RowError) return reject(`links.csv: ${error.message}`);
    throw error;
  }
}

/** A movies.csv row as a record with the ids of its link, or a reject. */
export function parseMovie(row: CsvRow, links: Map<string, Link>): SourceItem {
  const reject = (reason: string): SourceItem => ({
    type: 'reject', reason, line: row.line, reference: row.get('movieId') || undefined, excerpt: row.excerpt,
  });
  if (row.problem) return reject(`movies.csv: ${row.problem}`);
  try {
    const movieId = id(row.get('movieId'), 'movieId');
    const { title, originalTitle, year } = parseMovieLensTitle(row.get('title'));
    if (!title) throw new RowError('title is empty');
    const link = links.get(movieId);
    const genres = row.get('genres').trim();
    return {
      type: 'record',
      line: row.line,
      record: {
        externalId: movieId,
        title,
        originalTitle,
        year,
        releaseDate: null,
        runtimeMinutes: null,
        genres: genres === NO_GENRES ? [] : genres.split('|').map((g) => g.trim()).filter(Boolean),
        ratings: [],
        imdbId: link?.imdbId ?? null,
        tmdbId: link?.tmdbId ?? null,
        overview: null,
        posterUrl: null,
        isAdult: false,
        payload: {
          movieId: row.get('movieId'), title: row.get('title'), genres: row.get('genres'),
          imdbId: link?.raw.imdbId ?? null, tmdbId: link?.raw.tmdbId ?? null,
        },
        // "(no genres listed)" is MovieLens saying there are none; a blank cell says nothing (kept).
        ...(genres === NO_GENRES ? { removed: ['genres' as const] } : {}),
      },
    };
  } catch (error) {
    if (error instanceof RowError) return reject(`movies.csv: ${error.message}`);
    throw error;
  }
}

/** Adds a ratings.csv row to its movie's tally; returns a reject for a bad row, otherwise null. */
export function tallyRating(row: CsvRow, tallies: Map<string, Tally>): SourceItem | null {
  const reject = (reason: string): SourceItem => ({
    type: 'reject', reason: `ratings.csv: ${reason}`, line: row.line, reference: row.get('movieId') || undefined, excerpt: row.excerpt,
    holds: 'ratings',
  });
  if (row.problem) return reject(row.problem);
  try {
    id(row.get('userId'), 'userId');
    const movieId = id(row.get('movieId'), 'movieId');
    const value = decimal(row.get('rating'), 'rating', 0.5, 5);
    if (value === null) throw new RowError('rating is empty');
    const timestamp = wholeNumber(row.get('timestamp'), 'timestamp', 0, MAX_ID);
    if (timestamp === null) throw new RowError('timestamp is empty');
    const tally = tallies.get(movieId);
    if (tally) {
      tally.sum += value;
      tally.count++;
      if (timestamp > tally.latest) tally.latest = timestamp;
    } else {
      tallies.set(movieId, { sum: value, count: 1, firstLine: row.line, latest: timestamp });
    }
    return null;
  } catch (error) {
    if (error instanceof RowError) return reject(error.message);
    throw error;
  }
}

/** The mean rating to 3 decimals. Sums of half stars times 1000 are exact, so rounding is too. */
export function mean(tally: { sum: number; count: number }): number {
  return Math.round((tally.sum * 1000) / tally.count) / 1000;
}

/** A MovieLens id: a positive whole number, written without leading zeros. */
function id(value: string, field: string): string {
  const trimmed = value.trim();
  if (!/^\d+$/.test(trimmed) || /^0+$/.test(trimmed)) throw new RowError(`${field} must be a positive whole number, found "${value}"`);
  return trimmed.replace(/^0+/, '');
}

/** links.csv writes IMDb ids without "tt" and without zero padding: 114709 → tt0114709. Null when empty. */
export function imdbId(value: string): string | null {
  const trimmed = value.trim();
  if (trimmed === '') return null;
  const digits = /^(?:tt)?(\d{1,10})$/.exec(trimmed)?.[1];
  if (!digits || /^0+$/.test(digits)) throw new RowError(`imdbId must be an IMDb number like 114709, found "${value}"`);
  return `tt${digits.replace(/^0+/, '').padStart(7, '0')}`;
}
