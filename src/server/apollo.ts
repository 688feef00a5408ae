import type { Server } from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { translateError } from '../graphql/errors.js';
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
}

export function createApolloServer({ schema, httpServer, logger, debug, introspection, limits }: ApolloOptions): ApolloServer<GraphQLContext> {
  const plugins: ApolloServerPlugin<GraphQLContext>[] = [
    ApolloServerPluginDrainHttpServer({ httpServer }),
    // Apollo's own landing page loads from a CDN; GraphiQL is served locally instead (playground.ts).
    ApolloServerPluginLandingPageDisabled(),
    queryLimitsPlugin(limits),
  ];
  return new ApolloServer<GraphQLContext>({
    schema,
    plugins,
    introspection,
    allowBatchedHttpRequests: false,
    // The process owns SIGINT/SIGTERM (main.ts, cli serve): Apollo's own handler would stop the
    // server and re-raise the signal, killing the process before its shutdown (worker, cache,
    // database) ends with exit code 0.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: debug,
    formatError(raw, error) {
      const formatted = translateError(raw, error);
      if (formatted.extensions?.code !== 'INTERNAL_SERVER_ERROR') return formatted;
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
