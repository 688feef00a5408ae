import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from '../logger.js';
import type { Runtime } from '../runtime.js';
import { MemoryStore } from './memory-store.js';
import { MovieCache } from './movie-cache.js';
import { listenForMovieChanges, publishMovieChanges, type Listener } from './notify.js';
import { RedisStore } from './redis-store.js';

export { MovieCache } from './movie-cache.js';

const REDIS_CONNECT_WAIT_MS = 3000;

/** A Redis URL without its password, for logs. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis';
  }
}

export interface OpenCacheOptions {
  /** Redis shared by every process; unset: an in-process LRU. */
  redisUrl?: string;
  ttlSeconds: number;
  pool: pg.Pool;
  logger?: Logger;
  /** Serving requests from an in-process cache: follow other processes' changes (LISTEN). */
  listen?: boolean;
  /** Prefix of every Redis key (default `moviec:`), so that one Redis can serve several deployments. */
  keyPrefix?: string;
  /** How long close() retries invalidations Redis did not take before handing them over (default 5 s). */
  closeWaitMs?: number;
  /** Values larger than this (JSON characters) are not stored (default 256 KiB). */
  maxEntryBytes?: number;
}

/**
 * The cache of a process. With Redis, every process reads and invalidates the same entries. Without
 * it, each process has its own LRU, and invalidations reach the others through PostgreSQL NOTIFY.
 */
export async function openCache(options: OpenCacheOptions): Promise<MovieCache> {
  const { redisUrl, ttlSeconds, pool, logger, listen = false, keyPrefix, closeWaitMs, maxEntryBytes } = options;
  if (redisUrl) {
    const store = new RedisStore({
      url: redisUrl,
      ...(keyPrefix ? { prefix: keyPrefix } : {}),
      onError: (error) => logger?.debug({ err: error }, 'Redis connection error'),
    });
    // Requests never wait for Redis, but a process should start with it connected when it can be.
    if (!(await store.waitUntilReady(REDIS_CONNECT_WAIT_MS))) {
      logger?.warn({ redis: redactUrl(redisUrl) }, 'Redis is not reachable yet: answering from the database until it is');
    }
    // Invalidations Redis could not take are handed over through PostgreSQL NOTIFY when a process
    // closes; processes serving requests listen, and version the whole cache when they hear one.
    let redisListener: Listener | undefined;
    const cache = new MovieCache({
      store, ttlSeconds, logger, closeWaitMs, maxEntryBytes,
      handOver: () => publishMovieChanges(pool, 'all', `handover-${randomUUID()}`),
      onClose: () => redisListener?.close() ?? Promise.resolve(),
    });
    if (listen) {
      redisListener = await listenForMovieChanges(pool, (ids) => void cache.applyRemoteChange(ids), logger);
      // Whole responses kept in this process are answered without a round trip once bumps are followed.
      await cache.followVersions(REDIS_CONNECT_WAIT_MS);
    }
    return cache;
  }
  let listener: Listener | undefined;
  const cache = new MovieCache({
    store: new MemoryStore(),
    ttlSeconds,
    logger,
    maxEntryBytes,
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

/**
 * The cache of a process that changes movies but serves no requests (`moviec worker`, `moviec
 * import`, `moviec aggregate`): what it invalidates reaches the API processes through Redis, or
 * through PostgreSQL NOTIFY when REDIS_URL is unset.
 */
export function openInvalidationCache(runtime: Pick<Runtime, 'config' | 'pool' | 'logger'>): Promise<MovieCache> {
  return openConfiguredCache(runtime, false);
}

/** The cache a MovieC process opens from its configuration (REDIS_URL, CACHE_TTL_SECONDS). */
export function openConfiguredCache({ config, pool, logger }: Pick<Runtime, 'config' | 'pool' | 'logger'>, listen = false): Promise<MovieCache> {
  return openCache({ redisUrl: config.REDIS_URL, ttlSeconds: config.CACHE_TTL_SECONDS, pool, logger, listen });
}
