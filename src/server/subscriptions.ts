import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type pg from 'pg';
import { WebSocketServer } from 'ws';
import type { MovieCache } from '../cache/movie-cache.js';
import { adminAccess } from '../graphql/auth.js';
import { createGraphQLContext, type PartnerServices } from '../graphql/context.js';
import { translateError } from '../graphql/errors.js';
import type { Logger } from '../logger.js';
import type { createPartnerAccess } from './partner-access.js';

/** Largest message a subscriber may send (subscribe operations are small). */
const MAX_PAYLOAD = 64 * 1024;

export interface SubscriptionServerOptions {
  httpServer: Server;
  schema: GraphQLSchema;
  pool: pg.Pool;
  cache: MovieCache;
  adminToken: string | undefined;
  partners: PartnerServices;
  access: ReturnType<typeof createPartnerAccess>;
  logger?: Logger;
}

/**
 * GraphQL subscriptions over WebSocket at /graphql (the graphql-transport-ws protocol of
 * graphql-ws). A connection is a request for access rules: the partner key comes in the upgrade
 * request's headers or in the connection parameters (`{ "x-api-key": "…" }` or `{ "Authorization":
 * "Bearer …" }`) and takes one token of its quota; a refused connection is closed with 4403.
 */
export function startSubscriptions(options: SubscriptionServerOptions): { close(): Promise<void> } {
  const { httpServer, schema, pool, cache, adminToken, partners, access, logger } = options;
  // noServer: the HTTP server's own errors (EADDRINUSE at start) stay with its owner instead of
  // being re-emitted on the WebSocket server, where graphql-ws would print them as internal errors.
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD });
  wsServer.on('error', (error) => logger?.warn({ err: error }, 'WebSocket server error'));
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== '/graphql') {
      socket.destroy();
      return;
    }
    wsServer.handleUpgrade(request, socket, head, (ws) => wsServer.emit('connection', ws, request));
  };
  httpServer.on('upgrade', onUpgrade);
  const headersOf = (ctx: { connectionParams?: Readonly<Record<string, unknown>> | undefined; extra: { request: { headers: Record<string, string | string[] | undefined> } } }) => {
    const params = ctx.connectionParams ?? {};
    const param = (name: string) => {
      const value = params[name] ?? params[name.toLowerCase()];
      return typeof value === 'string' ? value : undefined;
    };
    const request = ctx.extra.request.headers;
    const authorization = param('Authorization') ?? (typeof request.authorization === 'string' ? request.authorization : undefined);
    const apiKey = param('x-api-key') ?? request['x-api-key'];
    return { authorization, 'x-api-key': apiKey };
  };
  const cleanup = useServer(
    {
      schema,
      onConnect: async (ctx) => {
        const result = await access.check(headersOf(ctx), ctx.extra.request.socket.remoteAddress ?? 'unknown');
        return result.ok;
      },
      context: (ctx) =>
        createGraphQLContext({ pool, cache, admin: adminAccess(headersOf(ctx).authorization, adminToken), partners }),
      // Domain errors (src/errors.ts) answered with their code, as over HTTP (src/graphql/errors.ts).
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => translateError(error.toJSON(), error)),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((error) => translateError(error.toJSON(), error)) } : undefined,
    },
    wsServer,
  );
  return {
    async close() {
      httpServer.off('upgrade', onUpgrade);
      await cleanup.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}
