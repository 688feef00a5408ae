import type pg from 'pg';
import type { MovieCache } from '../cache/movie-cache.js';
import type { MovieChangeFeed } from '../services/movie-changes.js';
import type { WebhookSettings } from '../services/partners-env.js';
import type { QuotaStore } from '../services/rate-limit.js';
import type { ProviderConfig } from '../sources/types.js';
import type { AdminAccess } from './auth.js';
import { createLoaders, type Loaders } from '../services/movie-loaders.js';

/** When a provider's rating counts as stale: its expected refresh interval, and the clock. */
export interface Freshness {
  /** Milliseconds, from the provider's import schedule; null when no refresh is expected. */
  refreshInterval(providerKey: string): number | null;
  now(): Date;
}

/** What every resolver receives. */
export interface GraphQLContext {
  /** The primary: writes, and reads of what was just written (import runs, admin data). */
  pool: pg.Pool;
  /** Catalogue reads (movies, lists, search, genres): a replica's pool (DATABASE_READ_URL), else pool. */
  readPool: pg.Pool;
  cache: MovieCache;
  loaders: Loaders;
  admin: AdminAccess;
  freshness: Freshness;
  /** The entry point's configuration, for services that read settings (TMDB_API_TOKEN); absent in tests that need none. */
  config?: ProviderConfig;
  /** Webhooks, keys and subscriptions (issue 20); absent in contexts built without them. */
  partners?: PartnerServices;
  /** The request carries credentials (a partner key or a bearer token): its answers are private to it. */
  credentials?: boolean;
  /** The whole-response cache's entry of this request (server/response-cache.ts), when it has one. */
  responseCache?: ResponseCacheSlot;
}

/** Where a request's answer is stored, and the versions it is computed under (read before it is). */
export interface ResponseCacheSlot {
  key: string;
  versions: (string | null)[];
  /** The store epoch the versions were read in (MovieCache.lookupResponse): the answer may be kept in-process then. */
  epoch?: number;
  /** The answer came from the store: nothing to store. */
  hit?: boolean;
}

export interface PartnerServices {
  webhooks: WebhookSettings;
  quota: QuotaStore;
  feed: MovieChangeFeed;
}

export interface GraphQLDependencies {
  pool: pg.Pool;
  readPool?: pg.Pool;
  cache: MovieCache;
  admin: AdminAccess;
  freshness?: Freshness;
  config?: ProviderConfig;
  partners?: PartnerServices;
  /** The answer is stored whole by the response cache: loaders read the database directly (createLoaders' direct). */
  wholeAnswerCached?: boolean;
}

/** Without a schedule configuration nothing is ever stale. */
const NEVER_STALE: Freshness = { refreshInterval: () => null, now: () => new Date() };

/** A fresh context per request: loaders must not share their memo between requests. */
export function createGraphQLContext({ pool, readPool = pool, cache, admin, freshness = NEVER_STALE, config, partners, wholeAnswerCached = false }: GraphQLDependencies): GraphQLContext {
  return {
    pool,
    readPool,
    cache,
    admin,
    freshness,
    loaders: createLoaders(readPool, cache, { direct: wholeAnswerCached }),
    ...(config ? { config } : {}),
    ...(partners ? { partners } : {}),
  };
}
