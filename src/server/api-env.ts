import { z } from 'zod';

/** On/off switches: true/false, 1/0, yes/no, on/off. */
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { error: 'must be true or false' })
  .transform((value) => ['true', '1', 'yes', 'on'].includes(value));

/** Comma-separated origins (https://app.example.com) or `*`. */
const origins = z
  .string()
  .transform((value) => value.split(',').map((origin) => origin.trim()).filter(Boolean))
  .pipe(z.array(z.union([z.literal('*'), z.url({ protocol: /^https?$/, error: 'each origin must be * or an http(s) URL' })])));

/**
 * Environment variables of the API and its cache, spread into the schema of ../config.ts so that
 * they are validated with everything else at start.
 */
export const apiEnvShape = {
  /** Origins browsers may call the API from; unset: none (same-origin only; servers are unaffected). */
  CORS_ORIGINS: origins.optional(),
  GRAPHQL_INTROSPECTION: flag.default(true),
  /** GraphiQL at GET /graphql (needs introspection). */
  GRAPHQL_PLAYGROUND: flag.default(true),
  /** Largest request body /graphql accepts (bytes syntax: 100kb, 1mb); larger ones get 413. */
  BODY_LIMIT: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?(b|kb|mb)$/i, { error: 'must be a size such as 100kb or 1mb' })
    .default('100kb'),
  /** max-age of cacheable answers' Cache-Control (GraphQL queries with cache hints, REST movies); 0: no-store. */
  HTTP_CACHE_MAX_AGE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
  CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  MAX_QUERY_DEPTH: z.coerce.number().int().min(2).max(100).default(12),
  MAX_QUERY_COMPLEXITY: z.coerce.number().int().min(10).max(10_000_000).default(5000),
  /** Root fields (aliases included) one GraphQL operation may ask for: `{ a0: matchReport … a1999: matchReport }` is refused. */
  MAX_ROOT_FIELDS: z.coerce.number().int().min(1).max(10_000).default(20),
  /** Aliased fields one GraphQL document may have at any depth. */
  MAX_QUERY_ALIASES: z.coerce.number().int().min(0).max(100_000).default(100),
  /** Tokens one GraphQL document may have (the parser stops past it: validation of huge documents is quadratic). */
  MAX_QUERY_TOKENS: z.coerce.number().int().min(100).max(1_000_000).default(2000),
  /** Requests the API works on at once; more wait (REQUEST_QUEUE_LENGTH, REQUEST_QUEUE_WAIT_MS), then 503 + Retry-After. */
  MAX_CONCURRENT_REQUESTS: z.coerce.number().int().min(1).max(10_000).default(32),
  REQUEST_QUEUE_LENGTH: z.coerce.number().int().min(0).max(100_000).default(256),
  REQUEST_QUEUE_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(500),
  /** Wait past which a standing queue (overload, not a burst) refuses a request (CoDel); 0: off. */
  REQUEST_QUEUE_TARGET_MS: z.coerce.number().int().min(0).max(60_000).default(50),
  /** While all MAX_CONCURRENT_REQUESTS are taken, event-loop lag from which new requests are refused (503 + Retry-After) before any work; 0: off. */
  MAX_EVENT_LOOP_LAG_MS: z.coerce.number().int().min(0).max(60_000).default(100),
  /** PostgreSQL statement_timeout of the API's connections, in milliseconds (0: none); the worker is not limited. */
  API_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
};
