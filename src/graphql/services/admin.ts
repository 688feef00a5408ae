import type pg from 'pg';
import type { MovieCache } from '../../cache/movie-cache.js';
import { queueImport } from '../../services/import.js';
import { aggregateMovies } from '../../scoring/aggregate.js';
import { findProvider } from '../../sources/registry.js';
import { tmdbCredentials } from '../../sources/tmdb.js';
import { SourceError, type ProviderKey, type SourceLocation } from '../../sources/types.js';
import { findImportRun } from '../data/catalogue.js';
import { moviesByIds } from '../data/movie-details.js';
import type { ImportRunRecord, MovieRecord } from '../data/records.js';
import { badUserInput, notFound } from '../errors.js';
import type { LockValue } from './locks.js';

/** The admin mutations' work: re-imports, recomputation and field locks. Callers check the token. */

export interface AdminDependencies {
  pool: pg.Pool;
  cache: MovieCache;
}

/** Queues an import of the provider like its last successful one (TMDB: the changes since then). */
export async function reimportProvider({ pool }: AdminDependencies, providerKey: ProviderKey): Promise<ImportRunRecord> {
  const adapter = findProvider(providerKey);
  if (!adapter) throw badUserInput(`This server has no importer for provider ${providerKey}`, 'provider');
  // Providers that sync incrementally from their API (TMDB) need no previous location.
  const location = adapter.incrementalLocation ?? (await lastSuccessfulSource(pool, providerKey));
  if (!location) {
    throw badUserInput(
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
export async function reimportMovie({ pool }: AdminDependencies, movieId: string): Promise<boolean> {
  await requireMovie(pool, movieId);
  if (!findProvider('tmdb')) return false;
  const ids = await tmdbIdsOf(pool, movieId);
  if (ids.length === 0) return false;
  // Queued without a token, the run would only fail later, out of sight: say why now.
  try {
    tmdbCredentials();
  } catch (error) {
    if (error instanceof SourceError) throw badUserInput(`Cannot re-import from TMDB: ${error.message}`, 'id');
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
  const { rowCount } = await pool.query(
    value === null
      ? `UPDATE movies SET locks = locks - $2::text WHERE id = $1::uuid`
      : `UPDATE movies SET locks = locks || jsonb_build_object($2::text, $3::jsonb) WHERE id = $1::uuid`,
    value === null ? [movieId, field] : [movieId, field, JSON.stringify(value)],
  );
  if (!rowCount) throw notFound(`No movie with id ${movieId}`);
  const movie = await aggregateAndLoad(pool, cache, movieId);
  if (!movie) throw notFound(`Movie ${movieId} no longer exists: no provider record of it is left`);
  return movie;
}

async function aggregateAndLoad(pool: pg.Pool, cache: MovieCache, movieId: string): Promise<MovieRecord | null> {
  const outcome = await aggregateMovies(pool, [movieId]);
  // The movie itself always: its rows may have been written around the aggregation.
  await cache.invalidateMovies([...new Set([movieId, ...outcome.changed, ...outcome.removed])]);
  const [movie] = await moviesByIds(pool, [movieId]);
  return movie ?? null;
}

async function queued(pool: pg.Pool, providerKey: ProviderKey, location: SourceLocation): Promise<ImportRunRecord> {
  try {
    const runId = await queueImport(pool, providerKey, location, 'api');
    return (await findImportRun(pool, runId))!;
  } catch (error) {
    if (error instanceof SourceError) throw badUserInput(error.message, 'provider');
    throw error;
  }
}

async function requireMovie(pool: pg.Pool, movieId: string): Promise<void> {
  const { rowCount } = await pool.query('SELECT 1 FROM movies WHERE id = $1::uuid', [movieId]);
  if (!rowCount) throw notFound(`No movie with id ${movieId}`);
}

/** Where the provider's last successful full import read from (runs for chosen ids do not count). */
async function lastSuccessfulSource(pool: pg.Pool, providerKey: string): Promise<SourceLocation | null> {
  const { rows } = await pool.query<{ source: SourceLocation }>(
    `SELECT source FROM import_runs
      WHERE provider_key = $1 AND status IN ('SUCCEEDED', 'PARTIAL') AND NOT source ? 'ids'
      ORDER BY finished_at DESC NULLS LAST, id DESC LIMIT 1`,
    [providerKey],
  );
  return rows[0]?.source ?? null;
}

/** The movie's TMDB ids: its TMDB records, and the TMDB ids other providers' records link to. */
async function tmdbIdsOf(pool: pg.Pool, movieId: string): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT DISTINCT id FROM (
       SELECT CASE WHEN provider_key = 'tmdb' THEN external_id ELSE tmdb_id END AS id
         FROM provider_records WHERE movie_id = $1::uuid) ids
      WHERE id ~ '^[0-9]+$'
      ORDER BY id`,
    [movieId],
  );
  return rows.map((r) => r.id);
}
