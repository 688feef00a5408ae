import type { Server } from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { OperationTypeNode, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { isCancelledStatement } from '../db/request-pool.js';
import type { GraphQLContext } from '../graphql/context.js';
import { translateError } from '../graphql/errors.js';
import { createLoaders } from '../services/movie-loaders.js';
import type { Logger } from '../logger.js';
import { queryLimitsPlugin, type QueryLimits } from './query-limits.js';

export interface ApolloOptions {
  schema: GraphQLSchema;
  httpServer: Server;
  logger?: Logger;
  /** Stack traces and internal error messages in responses; development only. */
  debug: boolean;
  introspection: boolean;
  limits: QueryLimits;
  /** More plugins (the response cache). */
  plugins?: ApolloServerPlugin<GraphQLContext>[];
}

export function createApolloServer({ schema, httpServer, logger, debug, introspection, limits, plugins: extra = [] }: ApolloOptions): ApolloServer<GraphQLContext> {
  const plugins: ApolloServerPlugin<GraphQLContext>[] = [
    ApolloServerPluginDrainHttpServer({ httpServer }),
    // Apollo's own landing page loads from a CDN; GraphiQL is served locally instead (playground.ts).
    ApolloServerPluginLandingPageDisabled(),
    // Cache hints are read once per document (graphql/response-plan.ts, server/response-cache.ts),
    // not by Apollo's cache-control plugin, which hooks every field of every request.
    ApolloServerPluginCacheControlDisabled(),
    queryLimitsPlugin(limits),
    clientErrorStatusPlugin,
    mutationsReadThePrimary,
    ...extra,
  ];
  return new ApolloServer<GraphQLContext>({
    schema,
    plugins,
    introspection,
    allowBatchedHttpRequests: false,
    parseOptions: { maxTokens: limits.maxTokens },
    // "Did you mean …" names fields and types: with introspection off the schema stays unexplored.
    hideSchemaDetailsFromClientErrors: !introspection,
    // GET is for queries that CDNs and browsers cache (Apollo refuses mutations over GET, 405).
    // Apollo's CSRF prevention would demand a special header on every GET; it guards cookie or
    // network-based authentication, and MovieC has neither: credentials travel in Authorization
    // or x-api-key headers, which a cross-site page cannot send without a CORS preflight.
    csrfPrevention: false,
    // The process owns SIGINT/SIGTERM (main.ts, cli serve): Apollo's own handler would stop the
    // server and re-raise the signal, killing the process before its shutdown (worker, cache,
    // database) ends with exit code 0.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: debug,
    formatError(raw, error) {
      const formatted = translateError(raw, error);
      if (formatted.extensions?.code !== 'INTERNAL_SERVER_ERROR') return formatted;
      if (isCancelledStatement(unwrapResolverError(error))) {
        // API_STATEMENT_TIMEOUT_MS, or the client went away (then nobody reads this): not a bug.
        logger?.warn({ path: formatted.path }, 'GraphQL statement cancelled: statement timeout or client gone');
        return {
          message: 'The request took longer than the API allows and was cancelled; ask for less (fewer fields, smaller pages).',
          ...(formatted.path ? { path: formatted.path } : {}),
          extensions: { code: 'QUERY_TOO_COMPLEX' },
        };
      }
      // An unexpected failure (database down, a bug): log it, and tell clients no internals.
      logger?.error({ err: unwrapResolverError(error), path: formatted.path }, 'GraphQL request failed');
      if (debug) return formatted;
      const masked: GraphQLFormattedError = {
        message: 'Internal server error',
        ...(formatted.locations ? { locations: formatted.locations } : {}),
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      };
      return masked;
    },
  });
}

/**
 * A malformed argument or cursor is found by a resolver, after Apollo chose 200: a response whose
 * every error is the client's (BAD_USER_INPUT) is answered 400, as malformed variables already are.
 */
const clientErrorStatusPlugin: ApolloServerPlugin<GraphQLContext> = {
  requestDidStart: () =>
    Promise.resolve({
      willSendResponse({ response }) {
        if (response.body.kind !== 'single') return Promise.resolve();
        const errors = response.body.singleResult.errors;
        if (errors?.length && errors.every((e) => e.extensions?.code === 'BAD_USER_INPUT') && !response.http.status) {
          response.http.status = 400;
        }
        return Promise.resolve();
      },
    }),
};

/**
 * With a read replica (DATABASE_READ_URL), queries read the catalogue there; a mutation reads the
 * primary it writes to, so that its answer shows its own change, whatever the replica's lag.
 */
const mutationsReadThePrimary: ApolloServerPlugin<GraphQLContext> = {
  requestDidStart: () =>
    Promise.resolve({
      didResolveOperation({ operation, contextValue }) {
        if (operation?.operation === OperationTypeNode.MUTATION && contextValue.readPool !== contextValue.pool) {
          contextValue.readPool = contextValue.pool;
          contextValue.loaders = createLoaders(contextValue.pool, contextValue.cache);
        }
        return Promise.resolve();
      },
    }),
};
