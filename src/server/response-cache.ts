import { createHash } from 'node:crypto';
import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import type { Request, RequestHandler, Response } from 'express';
import { execute, Kind, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { MovieCache } from '../cache/movie-cache.js';
import type { GraphQLContext, ResponseCacheSlot } from '../graphql/context.js';
import { responsePlan, type ResponsePlan } from '../graphql/response-plan.js';
import { cacheControlValue, hasCredentials } from './http-cache.js';
import { hasNul, MAX_VARIABLE_DEPTH } from './query-limits.js';

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
 * A miss of a document whose plan allows it (see KnownPlan) is computed here too, without Apollo:
 * the document Apollo parsed, validated and measured against the query limits when it learned the
 * plan is executed again with graphql's own `execute`, the same schema, resolvers and context
 * (contextOf), and the answer is sent and stored as Apollo's would be. Apollo's pipeline around
 * one execution (hashing the text, its plugins' hooks, content negotiation, its response
 * objects) cost about as much as the execution itself. An answer with errors is not sent: the
 * request goes on to Apollo, which executes it again and formats the errors as usual.
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
  /**
   * The context resolvers get for a request (the same as Apollo's); with it, misses of known
   * documents are computed here (see KnownPlan). The slot is where the answer will be stored.
   */
  contextOf?: (req: Request, res: Response, slot: ResponseCacheSlot) => GraphQLContext;
}

/**
 * A plan learned from a request Apollo resolved, with what it takes to compute the answer again
 * without Apollo: the document (parsed and validated by Apollo; the query limits measured it and
 * let it through) and the schema. `direct` is false when other variables could change what Apollo
 * checks before execution: only ID and String variables are allowed (the limits measure a document
 * once for every id and text; page sizes and booleans change its cost).
 */
interface KnownPlan {
  plan: ResponsePlan;
  document: DocumentNode;
  schema: GraphQLSchema;
  direct: boolean;
}

/**
 * Plans by query text (`q` + text) or APQ hash (`h` + hash), and operation name; bounded by the
 * characters of their keys and of the documents they hold (a parsed document is counted as 16
 * times its text).
 */
type Plans = LRUCache<string, KnownPlan>;
const MAX_PLAN_CHARS = 32 * 1024 * 1024;
const DOCUMENT_CHARS_FACTOR = 16;
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

export function createResponseCache({ cache, maxAgeSeconds, store = true, contextOf }: ResponseCacheOptions): ResponseCache {
  const plans: Plans = new LRUCache({
    maxSize: MAX_PLAN_CHARS,
    sizeCalculation: (known, key) => key.length + DOCUMENT_CHARS_FACTOR * (known.document.loc?.end ?? 0),
  });
  const byDocument = new WeakMap<DocumentNode, Map<string, ResponsePlan>>();

  /** Computes a miss without Apollo and sends it; false (nothing sent) when the answer has errors. */
  const computeDirect = async (req: Request, res: Response, known: KnownPlan, operationName: unknown, variables: Record<string, unknown> | undefined, slot: ResponseCacheSlot): Promise<boolean> => {
    const contextValue = contextOf!(req, res, slot);
    const result = await execute({
      schema: known.schema,
      document: known.document,
      contextValue,
      ...(typeof operationName === 'string' ? { operationName } : {}),
      ...(variables ? { variableValues: variables } : {}),
    });
    if (result.errors?.length || !result.data || result.extensions) return false;
    // As Apollo writes an answer (its prettyJSONStringify), so a later hit sends the same bytes.
    const body = `${JSON.stringify({ data: result.data })}\n`;
    // Its bytes and ETag, made once: for this answer and for the copy kept in this process.
    const http = httpForm(body, req.app.get('etag fn') as EtagFunction | undefined);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Cache-Control', cacheControlOf(known.plan, contextValue.credentials ?? false, maxAgeSeconds));
    res.setHeader('Vary', VARY);
    if (http.etag) res.setHeader('ETag', http.etag);
    res.send(http.bytes);
    // Not awaited: the answer is not held back by the write (see MovieCache.read).
    void cache.storeResponse(slot.key, slot.versions, body, slot.epoch, http);
    return true;
  };

  const middleware: RequestHandler = (req, res, next) => {
    const params = parametersOf(req.method, req.query, req.body as GraphQLParameters | undefined);
    const planKey = params && planKeyOf(params);
    const known = store && planKey ? plans.get(plansKey(planKey, params.operationName)) : undefined;
    const plan = known?.plan;
    if (!params || !planKey || !known || !plan?.policy) {
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
          res.setHeader('Cache-Control', cacheControlOf(plan, hasCredentials(req.headers), maxAgeSeconds));
          res.setHeader('Vary', VARY);
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
        if (!found) {
          next();
          return;
        }
        const slot: ResponseCacheSlot = { key, versions: found.versions, epoch: found.epoch };
        // Apollo refuses NUL characters in variables (query-limits.ts): left to it.
        if (!known.direct || !contextOf || hasNul(variables)) {
          res.locals.responseCache = slot;
          next();
          return;
        }
        computeDirect(req, res, known, params.operationName, variables, slot).then((sent) => {
          if (sent) return;
          res.locals.responseCache = slot;
          next();
        }, next);
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
          const known: KnownPlan = {
            plan,
            document: requestContext.document,
            schema: requestContext.schema,
            direct: !!plan.policy && directlyComputable(requestContext.operation),
          };
          for (const planKey of planKeys) plans.set(plansKey(planKey, params.operationName), known);
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
          response.http.headers.set('cache-control', cacheable ? cacheControlOf(plan, context.credentials ?? false, maxAgeSeconds) : 'no-store');
          response.http.headers.set('vary', VARY);
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

const VARY = 'Authorization, X-Api-Key';

/** Cache-Control of a cacheable answer: private for a request with credentials or a private hint, else public. */
function cacheControlOf(plan: ResponsePlan, credentials: boolean, maxAgeSeconds: number): string {
  return cacheControlValue(credentials || plan.policy!.scope !== 'PUBLIC' ? 'private' : 'public', Math.min(plan.policy!.maxAge, maxAgeSeconds));
}

/** Where a plan is remembered: its document's key and the operation name the request gave. */
function plansKey(planKey: string, operationName: unknown): string {
  return `${typeof operationName === 'string' ? operationName : ''}\u0000${planKey}`;
}

/** Whether only ID and String variables are declared (see KnownPlan): nothing else that Apollo checks can change with them. */
function directlyComputable(operation: OperationDefinitionNode): boolean {
  for (const definition of operation.variableDefinitions ?? []) {
    let type = definition.type;
    while (type.kind !== Kind.NAMED_TYPE) type = type.type;
    if (type.name.value !== 'ID' && type.name.value !== 'String') return false;
  }
  return true;
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
