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
      for (const client of running) cancelRunningStatement(pool, client);
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

function cancelRunningStatement(pool: pg.Pool, client: pg.PoolClient): void {
  const active = (client as unknown as { activeQuery?: unknown }).activeQuery;
  if (!active) return;
  const canceller = new pg.Client(pool.options);
  const connection = (canceller as unknown as { connection: { on(event: string, listener: () => void): void } }).connection;
  connection.on('error', () => undefined);
  (canceller as unknown as { cancel(client: pg.PoolClient, query: unknown): void }).cancel(client, active);
}

/** PostgreSQL cancelled the statement: statement_timeout, or a cancel request (the client went away). */
export function isCancelledStatement(error: unknown): boolean {
  return error instanceof RequestAbortedError || (error as { code?: unknown } | null)?.code === '57014';
}
