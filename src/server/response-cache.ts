import { createHash } from 'node:crypto';
import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import type { RequestHandler } from 'express';
import type { DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { MovieCache } from '../cache/movie-cache.js';
import type { GraphQLContext, ResponseCacheSlot } from '../graphql/context.js';
import { responsePlan, type ResponsePlan } from '../graphql/response-plan.js';
import { cacheControlValue, hasCredentials } from './http-cache.js';
import { MAX_VARIABLE_DEPTH } from './query-limits.js';

/**
 * Whole-response caching of GraphQL queries, and their HTTP caching.
 *
 * Each document's plan (its cache policy from the schema's hints, and what its answer depends on)
 * is computed once, when Apollo first resolves it, and remembered by query text or APQ hash. A
 * later request of a document with a cacheable plan is looked up before Apollo sees it: the
 * stored answer and the current versions of its movies come in one store round trip, and a hit is
 * sent at once (no parsing, validation, limits or resolvers: they all ran, with the same document
 * and variables, for the answer that was stored). A miss goes through Apollo as usual, which stores
 * the answer under the versions read before it was computed: an aggregation that finished
 * meanwhile has moved them, so no answer outlives the invalidation that follows a change (as for
 * the movie cache, src/cache/movie-cache.ts).
 *
 * Every answer carries Cache-Control: `public, max-age=N` (N from the hints, capped by
 * HTTP_CACHE_MAX_AGE_SECONDS) for cacheable queries without credentials, `private, max-age=N` with
 * them, `no-store` otherwise; Express adds the ETag and answers 304 to a matching If-None-Match on
 * GET.
 */

export interface ResponseCacheOptions {
  cache: MovieCache;
  /** Cap of the HTTP max-age (HTTP_CACHE_MAX_AGE_SECONDS). */
  maxAgeSeconds: number;
  /** false: only HTTP caching headers, no answer kept (the movie cache alone serves). */
  store?: boolean;
}

/** Plans by query text (`q` + text) or APQ hash (`h` + hash); bounded by the characters of their keys. */
type Plans = LRUCache<string, ResponsePlan>;
const MAX_PLAN_KEYS_CHARS = 4 * 1024 * 1024;
const MAX_QUERY_CHARS = 16 * 1024;

interface GraphQLParameters {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
}

export interface ResponseCache {
  /** Serves known cacheable queries from the store; put after access control and body parsing, before Apollo. */
  middleware: RequestHandler;
  /** Learns plans, stores answers, sets Cache-Control. */
  plugin: ApolloServerPlugin<GraphQLContext>;
  /** The slot a request's context carries from the middleware to the plugin. */
  slotOf(locals: Record<string, unknown>): ResponseCacheSlot | undefined;
}

export function createResponseCache({ cache, maxAgeSeconds, store = true }: ResponseCacheOptions): ResponseCache {
  const plans: Plans = new LRUCache({ maxSize: MAX_PLAN_KEYS_CHARS, sizeCalculation: (_plan, key) => key.length });
  const byDocument = new WeakMap<DocumentNode, Map<string, ResponsePlan>>();

  const middleware: RequestHandler = (req, res, next) => {
    const params = parametersOf(req.method, req.query, req.body as GraphQLParameters | undefined);
    const planKey = params && planKeyOf(params);
    const plan = store && planKey ? plans.get(planKey) : undefined;
    if (!params || !planKey || !plan?.policy) {
      next();
      return;
    }
    const variables = variablesOf(params.variables);
    // Malformed or over-deep variables (which JSON.stringify of the key could not even take) are Apollo's to refuse.
    if (variables === INVALID || tooDeep(variables)) {
      next();
      return;
    }
    const key = entryKey(planKey, params.operationName, variables);
    const deps = cache.responseDeps(plan.movieIds(variables));
    cache.lookupResponse(key, deps).then(
      (found) => {
        if (found?.body != null) {
          res.setHeader('Content-Type', 'application/json; charset=utf-8');
          res.setHeader('Cache-Control', cacheControlValue(hasCredentials(req.headers) ? 'private' : 'public', Math.min(plan.policy!.maxAge, maxAgeSeconds)));
          res.setHeader('Vary', 'Authorization, X-Api-Key');
          if (!found.derived) {
            res.send(found.body);
            return;
          }
          // A copy kept in this process: its bytes and ETag are made once, not for every answer.
          const http = (found.derived.value ??= httpForm(found.body, req.app.get('etag fn') as EtagFunction | undefined)) as HttpForm;
          if (http.etag) res.setHeader('ETag', http.etag);
          res.send(http.bytes);
          return;
        }
        if (found) res.locals.responseCache = { key, versions: found.versions, epoch: found.epoch } satisfies ResponseCacheSlot;
        next();
      },
      next,
    );
  };

  const planFor = (requestContext: GraphQLRequestContext<GraphQLContext>): ResponsePlan | null => {
    const { document, operation, schema, operationName } = requestContext;
    if (!document || !operation) return null;
    let perOperation = byDocument.get(document);
    if (!perOperation) byDocument.set(document, (perOperation = new Map<string, ResponsePlan>()));
    const name = operationName ?? '';
    let plan = perOperation.get(name);
    if (!plan) perOperation.set(name, (plan = responsePlan(schema, document, operation)));
    return plan;
  };

  const plugin: ApolloServerPlugin<GraphQLContext> = {
    requestDidStart: () =>
      Promise.resolve({
        async responseForOperation(requestContext) {
          const plan = planFor(requestContext);
          const params = requestContext.request as GraphQLParameters;
          const planKeys = planKeysOf(params);
          if (!plan || planKeys.length === 0) return null;
          // Remembered for the next request of this document (by query text, and by APQ hash).
          for (const planKey of planKeys) plans.set(planKey, plan);
          if (!plan.policy || !store) return null;
          const context = requestContext.contextValue;
          if (context.responseCache) return null;
          // The first request of a document in this process: look it up here.
          const key = entryKey(planKeys[0]!, params.operationName, requestContext.request.variables);
          const found = await cache.lookupResponse(key, cache.responseDeps(plan.movieIds(requestContext.request.variables)));
          if (!found) return null;
          if (found.body == null) {
            context.responseCache = { key, versions: found.versions, epoch: found.epoch };
            return null;
          }
          context.responseCache = { key, versions: found.versions, hit: true };
          return { body: { kind: 'single', singleResult: JSON.parse(found.body) as { data: Record<string, unknown> } }, http: requestContext.response.http };
        },
        willSendResponse(requestContext) {
          const { response, contextValue: context } = requestContext;
          const plan = requestContext.document && requestContext.operation ? planFor(requestContext) : null;
          const single = response.body.kind === 'single' ? response.body.singleResult : null;
          const cacheable = !!plan?.policy && !!single && !single.errors && !!single.data;
          response.http.headers.set(
            'cache-control',
            cacheable
              ? cacheControlValue(context.credentials ? 'private' : plan.policy!.scope === 'PUBLIC' ? 'public' : 'private', Math.min(plan.policy!.maxAge, maxAgeSeconds))
              : 'no-store',
          );
          response.http.headers.set('vary', 'Authorization, X-Api-Key');
          const slot = context.responseCache;
          if (!cacheable || !slot || slot.hit || single.extensions) return Promise.resolve();
          // Not awaited: the answer is not held back by the write (see MovieCache.read).
          void cache.storeResponse(slot.key, slot.versions, `${JSON.stringify({ data: single.data })}\n`, slot.epoch);
          return Promise.resolve();
        },
      }),
  };

  return {
    middleware,
    plugin,
    slotOf: (locals) => locals.responseCache as ResponseCacheSlot | undefined,
  };
}

type EtagFunction = (body: Buffer, encoding?: BufferEncoding) => string | undefined;

interface HttpForm {
  bytes: Buffer;
  etag: string | undefined;
}

/** An answer's bytes and the ETag Express would give them (its `etag fn` setting). */
function httpForm(body: string, etag: EtagFunction | undefined): HttpForm {
  const bytes = Buffer.from(body, 'utf8');
  return { bytes, etag: typeof etag === 'function' ? etag(bytes) : undefined };
}

/** The GraphQL parameters of a GET (query string) or POST (JSON body); null when there are none to go by. */
function parametersOf(method: string, query: Record<string, unknown>, body: GraphQLParameters | undefined): GraphQLParameters | null {
  if (method === 'GET') {
    let extensions: unknown = query.extensions;
    if (typeof extensions === 'string') {
      try {
        extensions = JSON.parse(extensions);
      } catch {
        return null;
      }
    }
    return { query: query.query, operationName: query.operationName, variables: query.variables, extensions };
  }
  if (method === 'POST' && body && typeof body === 'object' && !Array.isArray(body)) return body;
  return null;
}

/** `q<text>` for a query given as text, else `h<sha256>` for an APQ hash alone; null when neither is usable. */
function planKeyOf(params: GraphQLParameters): string | null {
  return planKeysOf(params)[0] ?? null;
}

/** The keys a document's plan is remembered under: its text (when short enough) and its APQ hash. */
function planKeysOf({ query, extensions }: GraphQLParameters): string[] {
  const keys: string[] = [];
  if (typeof query === 'string' && query.length <= MAX_QUERY_CHARS) keys.push(`q${query}`);
  const hash = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash;
  if (typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash)) keys.push(`h${hash}`);
  return keys;
}

const INVALID = Symbol('invalid variables');

/** Nested deeper than the query limits allow (iterative: it cannot overflow itself). */
function tooDeep(variables: Record<string, unknown> | undefined): boolean {
  const stack: [unknown, number][] = [[variables, 0]];
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (!value || typeof value !== 'object') continue;
    if (depth >= MAX_VARIABLE_DEPTH) return true;
    for (const child of Array.isArray(value) ? value : Object.values(value)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Variables as an object (GET gives them as JSON text); INVALID when they are not an object. */
function variablesOf(variables: unknown): Record<string, unknown> | undefined | typeof INVALID {
  if (variables == null || variables === '') return undefined;
  if (typeof variables === 'string') {
    try {
      variables = JSON.parse(variables);
    } catch {
      return INVALID;
    }
  }
  return variables && typeof variables === 'object' && !Array.isArray(variables) ? (variables as Record<string, unknown>) : INVALID;
}

function entryKey(planKey: string, operationName: unknown, variables: Record<string, unknown> | undefined | null): string {
  const hash = createHash('sha1')
    .update(planKey)
    .update('\u0000')
    .update(typeof operationName === 'string' ? operationName : '')
    .update('\u0000')
    .update(variables ? JSON.stringify(variables) : '')
    .digest('base64url');
  return `response:${hash}`;
}
