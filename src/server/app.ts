import { createServer, STATUS_CODES, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express, { Router, type ErrorRequestHandler, type Express, type Request, type RequestHandler, type Response } from 'express';
import type pg from 'pg';
import { createMemoryCache } from '../cache/index.js';
import type { MovieCache } from '../cache/movie-cache.js';
import type { ProviderConfig } from '../sources/types.js';
import { adminAccess } from '../graphql/auth.js';
import { createGraphQLContext, type Freshness, type GraphQLContext, type ResponseCacheSlot } from '../graphql/context.js';
import { providerRefreshIntervals, type RefreshIntervals } from '../schedule/refresh-intervals.js';
import { buildMovieCSchema } from '../graphql/schema.js';
import type { Logger } from '../logger.js';
import { createApolloServer } from './apollo.js';
import { createResponseCache } from './response-cache.js';
import { directRoute } from './direct-route.js';
import { jsonBody } from './json-body.js';
import { hasCredentials } from './http-cache.js';
import { healthRoutes } from './health.js';
import { createMetrics, type AppMetrics } from './metrics.js';
import { playgroundRoutes } from './playground.js';
import type { QueryLimits } from './query-limits.js';
import { admissionControl, DEFAULT_ADMISSION, type Admission, type AdmissionLimits, type LagProbe } from './admission.js';
import { requestSignal } from './request-signal.js';
import { restSearchRoutes } from './rest-search.js';
import { restMovieRoutes } from './rest-movies.js';
import { requestLogger } from '../logging/request-logger.js';
import type { PosterSettings } from '../assets/settings.js';
import { webRoutes } from '../web/routes.js';
import { API_KEYS_CHANNEL } from '../db/api-keys.js';
import { listenToChannels, type ChannelListener } from '../db/listen.js';
import { isCancelledStatement, requestPool } from '../db/request-pool.js';
import { MovieChangeFeed } from '../services/movie-changes.js';
import type { AnonymousAccess, WebhookSettings } from '../services/partners-env.js';
import { MemoryQuotaStore, type QuotaStore } from '../services/rate-limit.js';
import { createPartnerAccess } from './partner-access.js';
import { startSubscriptions } from './subscriptions.js';

export interface AppOptions {
  pool: pg.Pool;
  /** The entry point's configuration (src/config.ts), for services that read settings (TMDB_API_TOKEN). */
  config?: ProviderConfig;
  /** Catalogue reads (movies, lists, search, REST movies): a replica's pool; default pool. */
  readPool?: pg.Pool;
  logger?: Logger;
  /** Stack traces and internal error messages in responses (npm start: NODE_ENV=development); default off. */
  debug?: boolean;
  /** Defaults to an in-process cache of this app's own (closed with it). */
  cache?: MovieCache;
  /** Bearer token of the admin mutations; unset: they are refused. */
  adminToken?: string;
  /** Origins browsers may call the API from; '*' for any. Default none (same origin only). */
  corsOrigins?: string[];
  /** Schema introspection (GraphiQL needs it); default on. */
  introspection?: boolean;
  /** GraphiQL at GET /graphql; default on. */
  playground?: boolean;
  limits?: Partial<QueryLimits>;
  /** Largest request body accepted (express/bytes syntax); larger bodies get 413. */
  bodyLimit?: string;
  /** The website at / and /movie/:id; default on. */
  website?: boolean;
  /** Poster mirror settings for the website and /assets; from the environment when absent. */
  posters?: PosterSettings;
  /** When ratings count as stale; default: each provider's default import schedule and the clock. */
  freshness?: Freshness;
  /** Per-key rate limits and usage (Redis shared by API processes); default an in-process store of this app's own. */
  quota?: QuotaStore;
  /** Requests without a partner key (ANONYMOUS_ACCESS); default on. */
  anonymousAccess?: AnonymousAccess;
  /** Webhook URL policy and delivery settings (createWebhook, testWebhook). */
  webhooks?: WebhookSettings;
  /** Whole GraphQL answers kept in the cache (server/response-cache.ts); default on. */
  responseCache?: boolean;
  /** max-age of cacheable answers' Cache-Control (HTTP_CACHE_MAX_AGE_SECONDS); default 60. */
  httpMaxAgeSeconds?: number;
  /** Requests worked on at once and waiting (load shedding: 503 + Retry-After beyond); default DEFAULT_ADMISSION. */
  admission?: Partial<AdmissionLimits>;
  /** The event-loop lag the admission reads (tests set it); default a timer's (admission.ts eventLoopLag). */
  lagProbe?: LagProbe;
  /** The admission's clock in milliseconds (tests set it); default performance.now. */
  admissionClock?: () => number;
}

/**
 * Webhook settings when none are given (tests, embedders): no private addresses, http allowed. The
 * API of `npm start` passes webhookSettings(config) (https only in production).
 */
export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  allowPrivate: false,
  requireHttps: false,
  timeoutMs: 10_000,
  retryBaseMs: 10_000,
  maxAttempts: 8,
  disableAfter: 20,
};

export const DEFAULT_LIMITS: QueryLimits = { maxDepth: 12, maxComplexity: 5000, maxRootFields: 20, maxAliases: 100, maxTokens: 2000 };
const DEFAULT_BODY_LIMIT = '100kb';
export const DEFAULT_HTTP_MAX_AGE_SECONDS = 60;

export interface RunningServer {
  /** The GraphQL endpoint, e.g. http://localhost:4000/graphql. */
  url: string;
  port: number;
  /** Stops accepting requests, lets running ones finish, and stops Apollo. */
  close(): Promise<void>;
}

export interface MovieCApp {
  app: Express;
  apollo: ApolloServer<GraphQLContext>;
  httpServer: Server;
  cache: MovieCache;
  metrics: AppMetrics;
  /** Movie changes for movieChanged subscribers of this app. */
  feed: MovieChangeFeed;
  /** Load shedding: requests in flight, waiting and refused. */
  admission: Admission;
  /** Listens on port (0 = any free port); host defaults to all interfaces. Call once. */
  start: (port: number, host?: string) => Promise<RunningServer>;
}

/** The HTTP API: /graphql (GraphQL, and GraphiQL for browsers), /movies/search, /healthz, /readyz, /metrics. */
export async function createApp(options: AppOptions): Promise<MovieCApp> {
  const { pool, logger, debug = false, adminToken, config } = options;
  const readPool = options.readPool ?? pool;
  const ownCache = options.cache ? undefined : createMemoryCache(300, logger);
  const cache = options.cache ?? ownCache!;
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const httpMaxAgeSeconds = options.httpMaxAgeSeconds ?? DEFAULT_HTTP_MAX_AGE_SECONDS;
  const freshness = options.freshness ?? scheduleFreshness(providerRefreshIntervals());
  const app = express();
  app.disable('x-powered-by');
  // Express, but POST /graphql goes to its handlers directly (postGraphql, made below; requests come once listening).
  const httpServer = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/graphql') postGraphql(req, res);
    else app(req, res);
  });
  const schema = await buildMovieCSchema();
  const quota = options.quota ?? new MemoryQuotaStore();
  const feed = new MovieChangeFeed(pool, logger);
  const partners = { quota, feed, webhooks: options.webhooks ?? DEFAULT_WEBHOOK_SETTINGS };
  /** A request's GraphQL context, for Apollo and for answers the response cache computes itself. */
  const contextOf = (req: Request, res: Response, slot: ResponseCacheSlot | undefined): GraphQLContext => {
    const signal = requestSignal(res);
    const primary = requestPool(pool, signal);
    const context = createGraphQLContext({
      // The request's statements are cancelled when its client goes away (request-pool.ts).
      pool: primary,
      readPool: readPool === pool ? primary : requestPool(readPool, signal),
      cache,
      freshness,
      config,
      admin: adminAccess(req.headers.authorization, adminToken),
      partners,
      // Its answer will be stored whole: its parts come from the database in fewer round trips.
      wholeAnswerCached: !!slot,
    });
    context.credentials = hasCredentials(req.headers);
    if (slot) context.responseCache = slot;
    return context;
  };
  const responseCache = createResponseCache({ cache, maxAgeSeconds: httpMaxAgeSeconds, store: options.responseCache ?? true, contextOf });
  const apollo = createApolloServer({
    plugins: [responseCache.plugin],
    schema,
    httpServer,
    logger,
    debug,
    introspection: options.introspection ?? true,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
  });
  await apollo.start();
  const metrics = createMetrics(pool, cache, logger);
  const admission = admissionControl({ ...DEFAULT_ADMISSION, ...options.admission }, options.lagProbe, options.admissionClock);
  const access = createPartnerAccess({
    pool,
    quota,
    anonymous: options.anonymousAccess ?? { mode: 'on' },
    adminToken,
    registry: metrics.registry,
  });
  // Without a shared store, revocations made by other processes arrive through NOTIFY.
  let revocations: Promise<ChannelListener | null> = Promise.resolve(null);
  if (quota instanceof MemoryQuotaStore) {
    revocations = listenToChannels(pool, [API_KEYS_CHANNEL], (_channel, keyHash) => quota.forget(keyHash), {
      ...(logger ? { logger } : {}),
    }).catch((error: unknown) => {
      logger?.warn({ err: error }, 'cannot listen for API key revocations');
      return null;
    });
  }
  const subscriptions = startSubscriptions({
    httpServer,
    schema,
    pool,
    cache,
    adminToken,
    partners,
    access,
    ...(logger ? { logger } : {}),
  });

  // GraphQL's handlers: partner access, the body, the whole-response cache, Apollo.
  const graphqlHandlers: RequestHandler[] = [
    access.middleware,
    jsonBody(bodyLimit),
    responseCache.middleware,
    expressMiddleware(apollo, { context: ({ req, res }) => Promise.resolve(contextOf(req, res, responseCache.slotOf(res.locals))) }),
  ];
  const graphql = Router();
  graphql.use(...graphqlHandlers);
  // What every request goes through first.
  const first: RequestHandler[] = [requestLogger(logger), metrics.timeRequests];
  if (options.corsOrigins?.length) {
    const origin = options.corsOrigins.includes('*') ? '*' : options.corsOrigins;
    first.push(cors({ origin, methods: ['GET', 'POST'], maxAge: 600 }));
  }
  const notFound: RequestHandler = (_req, res) => {
    res.status(404).json({ error: 'not found' });
  };
  const onError = errorHandler(logger, debug, bodyLimit);
  for (const handler of first) app.use(handler);
  // POST /graphql, what partners' clients send most, goes to its handlers at once (load-shed as
  // everything below the health routes is) instead of past every other route first: exactly
  // `/graphql` without Express's router at all (directRoute), `/graphql/` or with a query string here.
  const postGraphql: RequestListener = directRoute(app, '/graphql', [...first, admission.middleware, ...graphqlHandlers], notFound, onError);
  app.use('/graphql', (req, res, next) => {
    if (req.method !== 'POST') {
      next();
      return;
    }
    admission.middleware(req, res, (error?: unknown) => (error ? next(error) : graphql(req, res, next)));
  });
  app.use(healthRoutes(pool));
  app.get('/metrics', metrics.scrape);
  // Everything below (GraphQL, REST, website) is load-shed; health and metrics above always answer.
  app.use(admission.middleware);
  app.use('/movies', access.middleware);
  app.use(restSearchRoutes(readPool, cache));
  app.use(restMovieRoutes({ pool: readPool, cache, maxAgeSeconds: httpMaxAgeSeconds }));
  if (options.playground ?? true) app.use(playgroundRoutes());
  app.use('/graphql', graphql);
  if (options.website ?? true) app.use(webRoutes({ pool, ...(options.posters ? { posters: options.posters } : {}) }));
  app.use(notFound);
  app.use(onError);

  return {
    app,
    apollo,
    httpServer,
    cache,
    metrics,
    feed,
    admission,
    start: (port, host) =>
      listen(
        httpServer,
        apollo,
        port,
        host,
        async () => {
          await subscriptions.close();
          await feed.close();
          await (await revocations)?.close();
        },
        async () => {
          admission.close();
          await ownCache?.close();
          if (!options.quota) await quota.close();
        },
      ),
  };
}

function listen(
  httpServer: Server,
  apollo: ApolloServer<GraphQLContext>,
  port: number,
  host: string | undefined,
  beforeClose: () => Promise<void>,
  afterClose: () => Promise<void>,
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    // A port in use: stop what start-up began (subscriptions and listeners, Apollo, the app's own
    // cache) so the process can end.
    const failed = (error: Error) => {
      void beforeClose()
        .catch(() => undefined)
        .then(() => apollo.stop())
        .then(afterClose)
        .catch(() => undefined)
        .finally(() => reject(error));
    };
    httpServer.once('error', failed);
    httpServer.listen(port, host, () => {
      httpServer.off('error', failed);
      const address = httpServer.address() as AddressInfo;
      const shownHost = !host || host === '0.0.0.0' || host === '::' ? 'localhost' : host;
      resolve({
        url: `http://${shownHost}:${address.port}/graphql`,
        port: address.port,
        // The drain plugin closes the HTTP server when Apollo stops.
        close: async () => {
          await beforeClose();
          await apollo.stop();
          await afterClose();
        },
      });
    });
  });
}

/** JSON errors for everything outside GraphQL (malformed or oversized bodies, bugs), without internals. */
function errorHandler(logger: Logger | undefined, debug: boolean, bodyLimit: string): ErrorRequestHandler {
  return (error: { status?: number; type?: string; message?: string; stack?: string }, _req, res, _next) => {
    if (isCancelledStatement(error)) {
      // statement_timeout (API_STATEMENT_TIMEOUT_MS), or the client left: not a bug.
      logger?.warn({ err: error }, 'request cancelled: statement timeout or client gone');
      res.status(503).setHeader('Retry-After', '1').json({ error: 'the request took too long and was cancelled; ask for less' });
      return;
    }
    const status = typeof error.status === 'number' && error.status >= 400 && error.status < 600 ? error.status : 500;
    if (status >= 500) logger?.error({ err: error }, 'request failed');
    // Only body-parser's own messages (they carry a `type`) are passed on: other errors (express.static's
    // ENOENT, a file the playground could not send) name filesystem paths.
    const message =
      status >= 500
        ? 'internal server error'
        : status === 404
          ? 'not found'
          : error.type === 'entity.parse.failed'
            ? 'malformed JSON body'
            : error.type === 'entity.too.large'
              ? `request body too large: at most ${bodyLimit}`
              : error.type && error.message
                ? error.message
                : (STATUS_CODES[status] ?? 'bad request').toLowerCase();
    res.status(status).json({ error: message, ...(debug ? { stack: error.stack } : {}) });
  };
}

/** Staleness from refresh intervals per provider (providerRefreshIntervals), against the clock. */
export function scheduleFreshness(intervals: RefreshIntervals, now: () => Date = () => new Date()): Freshness {
  return { refreshInterval: (providerKey) => intervals[providerKey] ?? null, now };
}
