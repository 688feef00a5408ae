import type pg from 'pg';

/**
 * The shared pg pool as one Graphile Worker pool sees it, with a door that can be shut for good.
 * The worker supervisor (runner.ts) gives every worker pool it starts its own gate, and shuts the
 * gate of a pool it gave up on (it stopped on a database error) before it starts the next one.
 * From then on nothing of the old pool — a batched `completeJobs` / `failJobs` still waiting, its
 * LISTEN client reconnecting, its cron — can reach the database: it can never complete or fail a
 * job that crash recovery released and another worker took since (Graphile Worker completes a job
 * by its id alone). Job handlers do not go through the gate: they use the shared pool directly.
 */
export interface PoolGate {
  /** What Graphile Worker is given instead of the shared pool. */
  readonly pool: pg.Pool;
  /**
   * Refuses every later `connect` / `query`, then resolves once no client taken through the gate is
   * checked out and no query made through it is still running: after that the old pool sends nothing.
   */
  close(): Promise<void>;
}

/** Error of whatever a closed gate refuses (kept out of the database-error codes, so no retry awaits it). */
export class RetiredPoolError extends Error {
  readonly code = 'MOVIEC_RETIRED_WORKER_POOL';
  constructor() {
    super('this worker pool was given up after a database error; it may no longer use the database');
    this.name = 'RetiredPoolError';
  }
}

type ConnectCallback = (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void;

export function gatePool(pool: pg.Pool): PoolGate {
  let closed = false;
  let inUse = 0;
  let drained: (() => void) | undefined;
  const settle = () => {
    inUse--;
    if (closed && inUse === 0) drained?.();
  };
  const lease = async (): Promise<pg.PoolClient> => {
    if (closed) throw new RetiredPoolError();
    inUse++;
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      settle();
      throw error;
    }
    if (closed) {
      client.release();
      settle();
      throw new RetiredPoolError();
    }
    // pg sets `release` afresh on every checkout: this wrapper lives for this lease only.
    const release = client.release.bind(client);
    let released = false;
    client.release = (err?: Error | boolean) => {
      if (!released) {
        released = true;
        settle();
      }
      return release(err);
    };
    return client;
  };
  const connect = (callback?: ConnectCallback): Promise<pg.PoolClient> | undefined => {
    if (!callback) return lease();
    lease().then(
      (client) => callback(undefined, client, (err) => client.release(err as Error | boolean | undefined)),
      (error: Error) => callback(error, undefined, () => undefined),
    );
    return undefined;
  };
  const query = async (...args: unknown[]): Promise<unknown> => {
    if (closed) throw new RetiredPoolError();
    inUse++;
    try {
      return await (pool.query as (...a: unknown[]) => Promise<unknown>)(...args);
    } finally {
      settle();
    }
  };
  const gated = new Proxy(pool, {
    get(target, key) {
      if (key === 'connect') return connect;
      if (key === 'query') return query;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    pool: gated,
    close() {
      closed = true;
      if (inUse === 0) return Promise.resolve();
      return new Promise<void>((resolve) => (drained = resolve));
    },
  };
}
