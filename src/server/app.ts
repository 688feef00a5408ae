import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type ErrorRequestHandler, type Express } from 'express';
import type pg from 'pg';
import type { PrismaClient } from '../db/prisma.js';
import { createGraphQLContext, type GraphQLContext } from '../graphql/context.js';
import { buildMovieCSchema } from '../graphql/schema.js';
import type { Logger } from '../logger.js';
import { createApolloServer } from './apollo.js';
import { healthRoutes } from './health.js';

export interface AppOptions {
  pool: pg.Pool;
  prisma: PrismaClient;
  logger?: Logger;
  /** Stack traces and internal error messages in responses; defaults to NODE_ENV=development. */
  debug?: boolean;
}

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
  /** Listens on port (0 = any free port); host defaults to all interfaces. Call once. */
  start: (port: number, host?: string) => Promise<RunningServer>;
}

/** The HTTP API: POST /graphql, GET /healthz, GET /readyz. */
export async function createApp({ pool, prisma, logger, debug = process.env.NODE_ENV === 'development' }: AppOptions): Promise<MovieCApp> {
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  const apollo = createApolloServer({ schema: await buildMovieCSchema(), httpServer, logger, debug });
  await apollo.start();

  app.use(healthRoutes(pool));
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, { context: () => Promise.resolve(createGraphQLContext({ pool, prisma })) }),
  );
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  app.use(errorHandler(logger, debug));

  return {
    app,
    apollo,
    httpServer,
    start: (port, host) => listen(httpServer, apollo, port, host),
  };
}

function listen(httpServer: Server, apollo: ApolloServer<GraphQLContext>, port: number, host?: string): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => {
      httpServer.off('error', reject);
      const address = httpServer.address() as AddressInfo;
      const shownHost = !host || host === '0.0.0.0' || host === '::' ? 'localhost' : host;
      resolve({
        url: `http://${shownHost}:${address.port}/graphql`,
        port: address.port,
        // The drain plugin closes the HTTP server when Apollo stops.
        close: () => apollo.stop(),
      });
    });
  });
}

/** JSON errors for everything outside GraphQL (malformed bodies, bugs), without internals. */
function errorHandler(logger: Logger | undefined, debug: boolean): ErrorRequestHandler {
  return (error: { status?: number; type?: string; message?: string; stack?: string }, _req, res, _next) => {
    const status = typeof error.status === 'number' && error.status >= 400 && error.status < 600 ? error.status : 500;
    if (status >= 500) logger?.error({ err: error }, 'request failed');
    const message = status < 500 ? (error.type === 'entity.parse.failed' ? 'malformed JSON body' : (error.message ?? 'bad request')) : 'internal server error';
    res.status(status).json({ error: message, ...(debug ? { stack: error.stack } : {}) });
  };
}
