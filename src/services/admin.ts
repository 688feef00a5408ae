import type pg from 'pg';
import type { MovieCache } from '../cache/movie-cache.js';
import { queueImport } from './import.js';
import { aggregateAndInvalidate, invalidateThrough } from './aggregation.js';
import { findProvider } from '../sources/registry.js';
import { tmdbCredentials } from '../sources/tmdb.js';
import type { ProviderConfig, ProviderKey, SourceLocation } from '../sources/types.js';
import { findImportRun } from '../db/catalogue.js';
import { movieExists, moviesByIds, tmdbIdsOf, writeFieldLock } from '../db/movies.js';
import { lastSuccessfulSource } from '../db/import-runs.js';
import type { ImportRunRecord, MovieRecord } from '../db/records.js';
import { BadInputError, NotFoundError, SourceError } from '../errors.js';

/** The admin mutations' work: re-imports, recomputation and field locks. Callers check the token. */

/** The value of an admin field lock, already validated at the edge. */
export type LockValue = string | number;

export interface AdminDependencies {
  pool: pg.Pool;
  cache: MovieCache;
  /** The entry point's configuration (TMDB_API_TOKEN for re-imports from TMDB); absent: nothing configured. */
  config?: ProviderConfig;
}

/** Queues an import of the provider like its last successful one (TMDB: the changes since then). */
export async function reimportProvider({ pool }: AdminDependencies, providerKey: ProviderKey): Promise<ImportRunRecord> {
  const adapter = findProvider(providerKey);
  if (!adapter) throw new BadInputError(`This server has no importer for provider ${providerKey}`, 'provider');
  // Providers that sync incrementally from their API (TMDB) need no previous location.
  const location = adapter.incrementalLocation ?? (await lastSuccessfulSource(pool, providerKey));
  if (!location) {
    throw new BadInputError(
      `No previous successful ${adapter.definition.name} import to repeat: import it once with \`moviec import ${providerKey}\` first`,
      'provider',
    );
  }
  return queued(pool, providerKey, location);
}

/**
 * Refetches one movie from every provider able to fetch single movies: TMDB, by the movie's TMDB
 * ids (file providers can only read whole files). False when nothing could be queued.
 */
export async function reimportMovie({ pool, config }: AdminDependencies, movieId: string): Promise<boolean> {
  await requireMovie(pool, movieId);
  if (!findProvider('tmdb')) return false;
  const ids = await tmdbIdsOf(pool, movieId);
  if (ids.length === 0) return false;
  // Queued without a token, the run would only fail later, out of sight: say why now.
  try {
    tmdbCredentials(config);
  } catch (error) {
    if (error instanceof SourceError) throw new BadInputError(`Cannot re-import from TMDB: ${error.message}`, 'id');
    throw error;
  }
  await queued(pool, 'tmdb', { ids: ids.join(',') });
  return true;
}

/** Aggregates the movie now; null when it was removed because no provider record is left. */
export async function recomputeMovie({ pool, cache }: AdminDependencies, movieId: string): Promise<MovieRecord | null> {
  await requireMovie(pool, movieId);
  return aggregateAndLoad(pool, cache, movieId);
}

/** Sets (value) or clears (null) an admin lock on a curated field, and applies it at once. */
export async function setFieldLock(
  { pool, cache }: AdminDependencies,
  movieId: string,
  field: string,
  value: LockValue | null,
): Promise<MovieRecord> {
  if (!(await writeFieldLock(pool, movieId, field, value))) throw new NotFoundError(`No movie with id ${movieId}`);
  const movie = await aggregateAndLoad(pool, cache, movieId);
  if (!movie) throw new NotFoundError(`Movie ${movieId} no longer exists: no provider record of it is left`);
  return movie;
}

async function aggregateAndLoad(pool: pg.Pool, cache: MovieCache, movieId: string): Promise<MovieRecord | null> {
  // The movie itself always: its rows may have been written around the aggregation.
  await aggregateAndInvalidate({ pool, invalidate: invalidateThrough(cache) }, [movieId], { alsoInvalidate: [movieId] });
  const [movie] = await moviesByIds(pool, [movieId]);
  return movie ?? null;
}

async function queued(pool: pg.Pool, providerKey: ProviderKey, location: SourceLocation): Promise<ImportRunRecord> {
  try {
    const runId = await queueImport(pool, providerKey, location, 'api');
    return (await findImportRun(pool, runId))!;
  } catch (error) {
    if (error instanceof SourceError) throw new BadInputError(error.message, 'provider');
    throw error;
  }
}

async function requireMovie(pool: pg.Pool, movieId: string): Promise<void> {
  if (!(await movieExists(pool, movieId))) throw new NotFoundError(`No movie with id ${movieId}`);
}
