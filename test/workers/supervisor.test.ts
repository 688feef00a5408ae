/**
 * The worker supervisor (src/workers/runner.ts) through a database outage, in process. The outage
 * is a pool that refuses every connection while "down", after its open connections were
 * terminated by PostgreSQL (pg_terminate_backend): what a restart does to a worker. Three
 * aggregation jobs are held after their commit (the invalidation callback waits for the test), so
 * the order of events is the test's, not a race. With the database away:
 * 1. the first job goes on: recording its completion fails, Graphile Worker 0.17 emits
 *    `pool:fatalError` and starts shutting its pool down, waiting for the two jobs still running;
 * 2. the second job goes on: its completion is recorded on the same batcher after the failure,
 *    which fails too and leaves the batcher's count below zero (docs/RELIABILITY.md 5b);
 * 3. the third job fails (its invalidation throws), recorded on the other batcher: the last worker
 *    ends, and the pool's shutdown waits for ever for the first batcher — `runner.promise` never
 *    settles (before the fix, the supervisor waited for it, and the queue never emptied).
 * Then the database comes back. The supervisor must have started a new pool, and the jobs the old
 * pool left locked must be released and run: the queue empties.
 */
import pg from 'pg';
import { enqueueAggregation } from '../../src/db/jobs.js';
import { startWorker, type Worker } from '../../src/workers/runner.js';
import { createLogger } from '../../src/logger.js';
import { gatePool, RetiredPoolError } from '../../src/workers/pool-gate.js';
import { startRecovery, type Recovery } from '../../src/workers/recovery.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertMovie } from '../support/graphql-api.js';
import { capturingLogger } from '../support/log-capture.js';
import { waitFor } from '../support/reliability.js';

const APP = 'supervisor-test';

/** A pg pool that refuses to connect while `down` (connection refused, as a stopped server). */
function flakyPool(url: string) {
  const real = new pg.Pool({ connectionString: url, max: 10, application_name: APP });
  real.on('error', () => undefined);
  real.on('connect', (client) => client.on('error', () => undefined));
  const state = { down: false };
  const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1 (test outage)'), { code: 'ECONNREFUSED' });
  const pool = new Proxy(real, {
    get(target, key) {
      if (key === 'connect') {
        return (callback?: (err: Error | undefined, client?: pg.PoolClient, done?: () => void) => void) => {
          const leased = state.down ? Promise.reject(refused()) : target.connect();
          if (!callback) return leased;
          leased.then((client) => callback(undefined, client, () => client.release()), (error: Error) => callback(error));
          return undefined;
        };
      }
      if (key === 'query') {
        return (...args: unknown[]) =>
          state.down ? Promise.reject(refused()) : (target.query as (...a: unknown[]) => Promise<unknown>)(...args);
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { pool, state, end: () => real.end() };
}

/** A promise the test settles: one per held job. */
function held() {
  let release!: () => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    release = resolve;
    fail = reject;
  });
  return { promise, release, fail };
}

describe('worker supervisor', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('starts a new pool when Graphile Worker stops its own on a lost connection and never finishes shutting it down', async () => {
    const flaky = flakyPool(db.url);
    const { logger, lines } = capturingLogger('info');
    const movies: string[] = [];
    for (const title of ['Held One', 'Held Two', 'Held Three']) movies.push(await insertMovie(db.pool, { title, year: 2001 }));
    // Movies without provider records: their aggregation removes them, which calls the invalidation.
    await enqueueAggregation(db.pool, movies);
    const holds = [held(), held(), held()];
    const entered: string[][] = [];
    const logged = (pattern: RegExp) => lines().filter((l) => pattern.test(l.msg)).length;
    let worker: Worker | undefined;
    try {
      worker = await startWorker({
        pool: flaky.pool, logger, concurrency: 3, recovery: { intervalMs: 100, graceMs: 300 }, restartDelayMs: 50,
        invalidate: async (ids) => {
          if (ids === 'all') return;
          const hold = holds[entered.length];
          entered.push(ids);
          await hold?.promise;
        },
      });
      await waitFor(() => entered.length === 3, 30_000, 'the three jobs to be held after their commit');

      // The database goes away: every connection of the worker process is cut, none can be opened.
      flaky.state.down = true;
      await db.pool.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND (application_name = $1 OR application_name LIKE 'moviec-worker %')`,
        [APP],
      );
      holds[0]!.release();
      // Graphile Worker's own words when it cannot record an outcome.
      await waitFor(() => logged(/^Failed to complete jobs/) === 1, 30_000, 'the first completion to fail');
      holds[1]!.release();
      await waitFor(() => logged(/^Failed to complete jobs/) === 2, 30_000, 'the second completion to fail');
      holds[2]!.fail(new Error('invalidation failed'));
      await waitFor(() => logged(/^Failed to fail jobs/) === 1, 30_000, 'the failure to be unrecordable');

      flaky.state.down = false;
      await waitFor(async () => {
        const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = 'aggregate-movie'`);
        return rows[0]!.n === 0;
      }, 30_000, 'the aggregation queue to empty');
      expect(worker.restarts).toBe(1);
      expect(logged(/worker pool stopped on a database error/)).toBe(1);
      expect(logged(/released the jobs of worker processes/)).toBeGreaterThan(0);
      const { rows } = await db.pool.query(`SELECT id FROM movies WHERE id = ANY($1::uuid[])`, [movies]);
      expect(rows).toEqual([]);
      // The new pool names the liveness connection; the old one's id is nowhere.
      const { rows: names } = await db.pool.query<{ name: string }>(
        `SELECT application_name AS name FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'moviec-worker %'`,
      );
      expect(names.map((n) => n.name)).toEqual([expect.stringMatching(/^moviec-worker pool-/)]);
    } finally {
      for (const hold of holds) hold.release();
      flaky.state.down = false;
      await worker?.stop();
      await flaky.end();
    }
  }, 90_000);
});

describe('liveness connection', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('carries the pool id set while it was still being named (a reconnect during a restart)', async () => {
    // The id arrives while the new liveness connection is being named "starting" (its first statement).
    const holder: { recovery?: Recovery } = {};
    const pool = new Proxy(db.pool, {
      get(target, key) {
        if (key === 'connect') {
          return async () => {
            const client = await target.connect();
            const query = client.query.bind(client) as (...a: unknown[]) => Promise<unknown>;
            (client as { query: unknown }).query = (...args: unknown[]) => {
              delete (client as { query?: unknown }).query;
              const sent = query(...args);
              holder.recovery!.setPoolId('pool-named-late');
              return sent;
            };
            return client;
          };
        }
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const recovery = startRecovery(pool, createLogger('silent'), { intervalMs: 60_000, graceMs: 60_000 });
    holder.recovery = recovery;
    try {
      await recovery.ready;
      const { rows } = await db.pool.query<{ name: string }>(
        `SELECT application_name AS name FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'moviec-worker %'`,
      );
      expect(rows.map((r) => r.name)).toEqual(['moviec-worker pool-named-late']);
    } finally {
      await recovery.stop();
    }
  });
});

describe('pool gate', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('passes everything through until closed, then refuses, and closes once what was checked out is back', async () => {
    const gate = gatePool(db.pool);
    expect((await gate.pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    const client = await gate.pool.connect();
    let closed = false;
    const closing = gate.close().then(() => (closed = true));
    await expect(gate.pool.query('SELECT 1')).rejects.toBeInstanceOf(RetiredPoolError);
    await expect(gate.pool.connect()).rejects.toBeInstanceOf(RetiredPoolError);
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false);
    client.release();
    await closing;
    expect(closed).toBe(true);
    // The shared pool itself is untouched.
    expect((await db.pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });
});
