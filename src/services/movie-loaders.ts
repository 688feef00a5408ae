import { withdrawnProvidersOfMovies } from '../db/withdrawals.js';
import DataLoader from 'dataloader';
import type pg from 'pg';
import type { MovieCache } from '../cache/movie-cache.js';
import { lastRunsOfProviders, listProviders } from '../db/catalogue.js';
import { sharedPool } from '../db/request-pool.js';
import {
  externalIdsForMovies,
  genresForMovies,
  movieIdByExternalId,
  moviesByIds,
  moviesWithGenresByIds,
  MAX_FIXED_ARITY_IDS,
  ratingsForMovies,
  titlesForMovies,
} from '../db/movies.js';
import type {
  ExternalIdRecord,
  ImportRunRecord,
  MovieGenreRecord,
  MovieRecord,
  ProviderRecord,
  RatingRecord,
  TitleRecord,
} from '../db/records.js';

/**
 * Per-request loaders: every fan-out field of a page of movies costs one cache round trip and,
 * for the movies the cache lacks, one statement, however many movies the page holds. Built fresh
 * for each request, so DataLoader's own memo never outlives a request.
 */
export interface Loaders {
  movie: DataLoader<string, MovieRecord | null>;
  ratings: DataLoader<string, RatingRecord[]>;
  titles: DataLoader<string, TitleRecord[]>;
  /** Every genre of the movie with its confidence, accepted or not. */
  genres: DataLoader<string, MovieGenreRecord[]>;
  externalIds: DataLoader<string, ExternalIdRecord[]>;
  lastRun: DataLoader<string, ImportRunRecord | null>;
  /** Providers whose records of the movie vanished from their full file (not cached: flags change without aggregation). */
  withdrawnFrom: DataLoader<string, string[]>;
  /** The id of the movie a provider's id belongs to (null when none). */
  movieIdByExternalId(providerKey: string, externalId: string): Promise<string | null>;
  /** A provider by key, from one read of the (four-row) providers table per request. */
  provider(key: string): Promise<ProviderRecord>;
  /** Every provider, in key order. */
  providers(): Promise<ProviderRecord[]>;
  /** Forgets what this request loaded about a movie (after a mutation changed it). */
  forget(movieId: string): void;
}

export interface LoaderOptions {
  /**
   * The whole answer is kept by the response cache (server/response-cache.ts): its parts are read
   * from the database, not through the per-movie cache (whose reads and writes would add a round
   * trip each to every answer computed once per change), and a movie comes with its genres in one
   * statement.
   */
  direct?: boolean;
}

export function createLoaders(pool: pg.Pool, cache: MovieCache, { direct = false }: LoaderOptions = {}): Loaders {
  let providers: Promise<ProviderRecord[]> | undefined;
  const allProviders = () => (providers ??= listProviders(pool));
  const perMovie = <T>(kind: string, load: (ids: string[]) => Promise<T[]>) =>
    new DataLoader<string, T>(direct ? (ids) => load([...ids]) : (ids) => cache.perMovie(kind, ids, load));
  const moviesWithGenres = async (ids: string[]) => {
    const bundles = await sharedMovieReads(pool).loadMany(ids);
    return ids.map((id, i) => {
      const bundle = bundles[i];
      if (bundle instanceof Error) throw bundle;
      if (bundle) loaders.genres.prime(id, bundle.genres);
      return bundle?.movie ?? null;
    });
  };
  const loaders: Loaders = {
    movie: perMovie('movie', direct ? moviesWithGenres : async (ids) => byKey(ids, await moviesByIds(pool, ids), (m) => m.id)),
    ratings: perMovie('ratings', async (ids) => groupByMovie(ids, await ratingsForMovies(pool, ids))),
    titles: perMovie('titles', async (ids) => groupByMovie(ids, await titlesForMovies(pool, ids))),
    genres: perMovie('genres', async (ids) => groupByMovie(ids, await genresForMovies(pool, ids))),
    externalIds: perMovie('external-ids', async (ids) => groupByMovie(ids, await externalIdsForMovies(pool, ids))),
    lastRun: new DataLoader(async (keys) => byKey(keys, await lastRunsOfProviders(pool, keys), (r) => r.providerKey)),
    withdrawnFrom: new DataLoader(async (ids) => {
      const found = new Map((await withdrawnProvidersOfMovies(pool, ids)).map((r) => [r.movieId, r.providers]));
      return ids.map((id) => found.get(id) ?? []);
    }),
    movieIdByExternalId: (providerKey, externalId) =>
      cache.shared('external-id', [providerKey, externalId], () => movieIdByExternalId(pool, providerKey, externalId)),
    providers: allProviders,
    async provider(key) {
      const found = (await allProviders()).find((p) => p.key === key);
      // Curated rows reference providers by foreign key, so this is a broken database, not bad input.
      if (!found) throw new Error(`provider "${key}" is not in the providers table`);
      return found;
    },
    forget(movieId) {
      for (const loader of [loaders.movie, loaders.ratings, loaders.titles, loaders.genres, loaders.externalIds, loaders.withdrawnFrom]) {
        (loader as DataLoader<string, unknown>).clear(movieId);
      }
    },
  };
  return loaders;
}

type MovieBundle = { movie: MovieRecord; genres: MovieGenreRecord[] };

const movieReads = new WeakMap<pg.Pool, DataLoader<string, MovieBundle | null>>();

/**
 * The movie reads of answers computed for the response cache (createLoaders' direct), shared by
 * every request of this process: the reads asked for in one turn of the event loop go out as one
 * statement (several misses arriving together cost one round trip, one protocol exchange and one
 * pool checkout instead of one each). Each request asks only after it read the versions its answer
 * will be stored under, so the statement still follows every request's versions. No memo: a read
 * is never reused by a later batch. On the process-wide pool, not the request's: a request whose
 * client went away does not cancel the others' reads (its own part costs one row).
 */
function sharedMovieReads(pool: pg.Pool): DataLoader<string, MovieBundle | null> {
  const shared = sharedPool(pool);
  let loader = movieReads.get(shared);
  if (!loader) {
    loader = new DataLoader<string, MovieBundle | null>(
      async (ids) => byKey(ids, await moviesWithGenresByIds(shared, ids), (bundle) => bundle.movie.id),
      // At the end of the event loop's poll phase, not of the current callback: requests whose
      // reads begin in separate I/O callbacks of one turn (several sockets read at once) share it.
      { cache: false, maxBatchSize: MAX_FIXED_ARITY_IDS, batchScheduleFn: (dispatch) => setImmediate(dispatch) },
    );
    movieReads.set(shared, loader);
  }
  return loader;
}

function byKey<T>(keys: readonly string[], rows: T[], keyOf: (row: T) => string): (T | null)[] {
  const map = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => map.get(key) ?? null);
}

function groupByMovie<T extends { movieId: string }>(ids: readonly string[], rows: T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(row.movieId);
    if (group) group.push(row);
    else groups.set(row.movieId, [row]);
  }
  return ids.map((id) => groups.get(id) ?? []);
}
