import pg from 'pg';

/** Thrown by a request's pool once its client has gone: the rest of the request's work is not started. */
export class RequestAbortedError extends Error {
  override readonly name = 'RequestAbortedError';
  constructor() {
    super('the client closed the request; its database work was cancelled');
  }
}

const TARGET = Symbol('moviec.requestPool.target');

/**
 * The pool as one HTTP request sees it: `query` runs on a client of `pool` that this request
 * tracks, and when `signal` aborts (the client went away) every statement still running for the
 * request is cancelled in PostgreSQL (the protocol's CancelRequest, on a connection of its own, so
 * it works even when the pool is exhausted) and later `query` calls reject at once. Everything
 * else (connect, events) is the pool's own. One Proxy per request, no cost per field.
 */
export function requestPool(pool: pg.Pool, signal: AbortSignal): pg.Pool {
  const running = new Set<pg.PoolClient>();
  signal.addEventListener(
    'abort',
    () => {
      for (const client of running) cancelRunningStatement(pool, client, () => running.has(client));
    },
    { once: true },
  );
  const query = async (...args: unknown[]): Promise<unknown> => {
    if (typeof args.at(-1) === 'function') return (pool.query as (...a: unknown[]) => unknown)(...args);
    if (signal.aborted) throw new RequestAbortedError();
    const client = await pool.connect();
    running.add(client);
    try {
      if (signal.aborted) throw new RequestAbortedError();
      return await (client.query as (...a: unknown[]) => Promise<unknown>)(...args);
    } finally {
      running.delete(client);
      client.release();
    }
  };
  return new Proxy(pool, {
    get(target, property) {
      if (property === 'query') return query;
      if (property === TARGET) return target;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The process-wide pool behind a request's pool (for work shared between requests); the pool itself otherwise. */
export function sharedPool(pool: pg.Pool): pg.Pool {
  return ((pool as unknown as Record<symbol, pg.Pool | undefined>)[TARGET]) ?? pool;
}

/**
 * Sends the protocol's CancelRequest for `client`'s backend, if its statement is still running
 * when the cancel connection is up (the client is this request's alone while it is in `running`).
 * Done here rather than by pg's Client.cancel, which reads Client.activeQuery (deprecated; gone in
 * pg 9).
 */
function cancelRunningStatement(pool: pg.Pool, client: pg.PoolClient, stillRunning: () => boolean): void {
  const { processID, secretKey } = client as unknown as { processID?: number | null; secretKey?: number | null };
  if (processID == null || secretKey == null) return;
  // A Client only for its parsed host and port (connection string, environment, defaults) and its
  // connection object; it never connects itself.
  const canceller = new pg.Client(pool.options) as unknown as { host: string; port: number; connection: CancelConnection };
  const { host, port, connection } = canceller;
  connection.on('error', () => undefined);
  connection.on('connect', () => {
    if (stillRunning()) connection.cancel(processID, secretKey);
    else connection.stream.destroy();
  });
  if (host.startsWith('/')) connection.connect(`${host}/.s.PGSQL.${port}`);
  else connection.connect(port, host);
}

/** pg's Connection, as far as a CancelRequest needs it (not in pg's types). */
interface CancelConnection {
  on(event: 'connect' | 'error', listener: () => void): void;
  connect(port: number | string, host?: string): void;
  cancel(processID: number, secretKey: number): void;
  stream: { destroy(): void };
}

/** PostgreSQL cancelled the statement: statement_timeout, or a cancel request (the client went away). */
export function isCancelledStatement(error: unknown): boolean {
  return error instanceof RequestAbortedError || (error as { code?: unknown } | null)?.code === '57014';
}
