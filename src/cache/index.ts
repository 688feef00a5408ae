import type pg from 'pg';
import type { Logger } from '../logger.js';
import type { Runtime } from '../runtime.js';
import { MemoryStore } from './memory-store.js';
import { MovieCache } from './movie-cache.js';
import { listenForMovieChanges, publishMovieChanges, type Listener } from './notify.js';
import { RedisStore } from './redis-store.js';

export { MovieCache } from './movie-cache.js';

export interface OpenCacheOptions {
  /** Redis shared by every process; unset: an in-process LRU. */
  redisUrl?: string;
  ttlSeconds: number;
  pool: pg.Pool;
  logger?: Logger;
  /** Serving requests from an in-process cache: follow other processes' changes (LISTEN). */
  listen?: boolean;
}

/**
 * The cache of a process. With Redis, every process reads and invalidates the same entries. Without
 * it, each process has its own LRU, and invalidations reach the others through PostgreSQL NOTIFY.
 */
export async function openCache({ redisUrl, ttlSeconds, pool, logger, listen = false }: OpenCacheOptions): Promise<MovieCache> {
  if (redisUrl) {
    const store = new RedisStore({ url: redisUrl, onError: (error) => logger?.debug({ err: error }, 'Redis connection error') });
    return new MovieCache({ store, ttlSeconds, logger });
  }
  let listener: Listener | undefined;
  const cache = new MovieCache({
    store: new MemoryStore(),
    ttlSeconds,
    logger,
    publish: (ids) => publishMovieChanges(pool, ids),
    onClose: () => listener?.close() ?? Promise.resolve(),
  });
  if (listen) listener = await listenForMovieChanges(pool, (ids) => void cache.applyRemoteChange(ids), logger);
  return cache;
}

/** An in-process cache that follows no other process: tests, and the API without a worker elsewhere. */
export function createMemoryCache(ttlSeconds = 300, logger?: Logger): MovieCache {
  return new MovieCache({ store: new MemoryStore(), ttlSeconds, logger });
}

/** The cache a MovieC process opens from its configuration (REDIS_URL, CACHE_TTL_SECONDS). */
export function openConfiguredCache({ config, pool, logger }: Pick<Runtime, 'config' | 'pool' | 'logger'>, listen = false): Promise<MovieCache> {
  return openCache({ redisUrl: config.REDIS_URL, ttlSeconds: config.CACHE_TTL_SECONDS, pool, logger, listen });
}
