import { posterSettings } from '../assets/settings.js';
import { openConfiguredCache } from '../cache/index.js';
import type { MovieCache } from '../cache/movie-cache.js';
import type { Runtime } from '../runtime.js';
import { providerRefreshIntervals } from '../schedule/refresh-intervals.js';
import { webhookSettings } from '../services/partners-env.js';
import { MemoryQuotaStore, RedisQuotaStore, type QuotaStore } from '../services/rate-limit.js';
import type { Config } from '../config.js';
import type { AdmissionLimits } from './admission.js';
import { createApp, scheduleFreshness, type RunningServer } from './app.js';

/** Load shedding as configured (MAX_CONCURRENT_REQUESTS, REQUEST_QUEUE_*, MAX_EVENT_LOOP_LAG_MS). */
export function admissionLimits(config: Config): Omit<AdmissionLimits, 'retryAfterSeconds'> {
  return {
    maxInFlight: config.MAX_CONCURRENT_REQUESTS,
    maxQueue: config.REQUEST_QUEUE_LENGTH,
    maxWaitMs: config.REQUEST_QUEUE_WAIT_MS,
    queueTargetMs: config.REQUEST_QUEUE_TARGET_MS,
    maxEventLoopLagMs: config.MAX_EVENT_LOOP_LAG_MS,
  };
}

/**
 * The API of `npm start` and `moviec serve`, on the configured PORT and HOST. Give it the cache the
 * process's worker invalidates; without one it opens its own (and closes it with the server).
 */
export async function startApi(runtime: Runtime, sharedCache?: MovieCache): Promise<RunningServer> {
  const { config, logger } = runtime;
  const cache = sharedCache ?? (await openConfiguredCache(runtime, true));
  if (config.GRAPHQL_PLAYGROUND && !config.GRAPHQL_INTROSPECTION) {
    logger.warn('GRAPHQL_PLAYGROUND is on but GRAPHQL_INTROSPECTION is off: the playground cannot show the schema');
  }
  const quota: QuotaStore = config.REDIS_URL ? new RedisQuotaStore(config.REDIS_URL, 'moviec:', logger) : new MemoryQuotaStore();
  const { start } = await createApp({
    pool: runtime.apiPool,
    config,
    readPool: runtime.readPool,
    logger,
    debug: config.NODE_ENV === 'development',
    cache,
    adminToken: config.ADMIN_TOKEN,
    corsOrigins: config.CORS_ORIGINS,
    introspection: config.GRAPHQL_INTROSPECTION,
    playground: config.GRAPHQL_PLAYGROUND,
    limits: {
      maxDepth: config.MAX_QUERY_DEPTH, maxComplexity: config.MAX_QUERY_COMPLEXITY, maxRootFields: config.MAX_ROOT_FIELDS, maxAliases: config.MAX_QUERY_ALIASES,
      maxTokens: config.MAX_QUERY_TOKENS,
    },
    bodyLimit: config.BODY_LIMIT,
    httpMaxAgeSeconds: config.HTTP_CACHE_MAX_AGE_SECONDS,
    admission: admissionLimits(config),
    freshness: scheduleFreshness(providerRefreshIntervals(config)),
    quota,
    anonymousAccess: config.ANONYMOUS_ACCESS,
    webhooks: webhookSettings(config),
    posters: posterSettings(config),
  });
  const started = await start(config.PORT, config.HOST).catch(async (error: unknown) => {
    if (!sharedCache) await cache.close().catch(() => undefined);
    await quota.close();
    throw error;
  });
  const server = {
    ...started,
    async close() {
      await started.close();
      await quota.close();
    },
  };
  logger.info({ url: server.url, cache: cache.kind, admin: config.ADMIN_TOKEN ? 'enabled' : 'disabled' }, 'API listening');
  if (sharedCache) return server;
  return {
    ...server,
    async close() {
      await server.close();
      await cache.close();
    },
  };
}
