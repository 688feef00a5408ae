import pg from 'pg';
import { eventLoopLag } from '../../src/server/admission.js';
import { insertMovie, postGraphQL, startTestApi, type GraphQLResponse, type TestApi } from '../support/graphql-api.js';

/**
 * Issue 13 point 10: under overload the API answers 503 with Retry-After at once instead of letting
 * clients time out, health answers throughout, and the requests it admitted are answered. The
 * requests in flight are held by a lock on the table they read (no timer is raced).
 */

async function waitForLockWaiters(admin: pg.Pool, count: number): Promise<void> {
  for (;;) {
    const { rows } = await admin.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FROM movies m%' AND pid <> pg_backend_pid()`,
    );
    if (Number(rows[0]!.n) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Held {
  api: TestApi;
  /** A pool of the test's own, for the lock. */
  admin: pg.Pool;
}

/** The describe block's API with these admission options (and one movie, if asked), started before its tests. */
function heldApi(options: Parameters<typeof startTestApi>[0], withMovie = false): Held {
  const held = {} as Held;
  beforeAll(async () => {
    held.api = await startTestApi(options);
    held.admin = new pg.Pool({ connectionString: held.api.db.url, max: 2 });
    // pool.end() resolves before its sockets close, so dropping the database right after may end an
    // idle connection with 57P01 "terminating connection due to administrator command": expected,
    // not a failure of the test (seen once in a fresh-clone CI run).
    held.admin.on('error', () => undefined);
    if (withMovie) await insertMovie(held.api.db.pool, { title: 'Harbor', year: 1999 });
  });
  afterAll(async () => {
    await held.admin.end();
    await held.api.close();
  });
  return held;
}

/**
 * Runs `fn` while one request (`first`) is held in flight by a lock on the movies table; `commit()`
 * lets it go. A lock left behind by a failure is ended with its connection.
 */
async function withOneInFlight(held: Held, fn: (first: Promise<GraphQLResponse>, commit: () => Promise<void>) => Promise<void>): Promise<void> {
  const locker = await held.admin.connect();
  let committed = false;
  try {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE movies IN ACCESS EXCLUSIVE MODE');
    const first = held.api.gql(`{ movies { totalCount } }`);
    await waitForLockWaiters(held.admin, 1);
    await fn(first, async () => {
      await locker.query('COMMIT');
      committed = true;
    });
  } finally {
    locker.release(!committed);
  }
}

async function untilQueued(api: TestApi, count: number): Promise<void> {
  while (api.app.admission.stats().queued < count) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('overload: bounded in-flight requests and queue, then 503 + Retry-After', () => {
  // One request at a time, one waiting; a wait long enough that only the test's own steps end it.
  const held = heldApi({ admission: { maxInFlight: 1, maxQueue: 1, maxWaitMs: 120_000, retryAfterSeconds: 2 } }, true);

  it('works on one, queues one, answers the third 503 with Retry-After at once; health answers; the admitted finish', async () => {
    const { api } = held;
    await withOneInFlight(held, async (first, commit) => {
      const second = api.gql(`{ movies(first: 3) { totalCount } }`);
      // The second waits in the queue (not in the database): anything more finds the queue full.
      await untilQueued(api, 1);
      const res = await fetch(`${api.origin}/movies/search?query=harbor`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(await res.json()).toEqual({ error: 'the API is overloaded; retry after the Retry-After seconds' });
      expect(await postGraphQL(api.server.url, `{ genres { name } }`)).toMatchObject({ status: 503 });
      expect(api.app.admission.stats()).toEqual({ inFlight: 1, queued: 1, shed: 2 });
      expect((await fetch(`${api.origin}/healthz`)).status).toBe(200);
      expect((await fetch(`${api.origin}/readyz`)).status).toBe(200);
      await commit();
      expect((await first).data.movies.totalCount).toBe(1);
      expect((await second).data.movies.totalCount).toBe(1);
    });
    expect((await api.gql(`{ genres { name } }`)).status).toBe(200);
  });
});

describe('overload: a request that waited too long', () => {
  const held = heldApi({ admission: { maxInFlight: 1, maxQueue: 5, maxWaitMs: 50, retryAfterSeconds: 1 } });

  it('is answered 503 + Retry-After while the one in flight is still held', async () => {
    const { api } = held;
    await withOneInFlight(held, async (first, commit) => {
      const waited = await fetch(`${api.origin}/movies/search?query=harbor`);
      expect(waited.status).toBe(503);
      expect(waited.headers.get('retry-after')).toBe('1');
      await commit();
      expect((await first).data.movies.totalCount).toBe(0);
    });
  });
});

describe('overload: a standing queue (CoDel)', () => {
  // The admission's clock, moved by the test (the queue's waits are read from it; no timer is raced).
  let now = 0;
  const held = heldApi({
    admission: { maxInFlight: 1, maxQueue: 10, maxWaitMs: 120_000, queueTargetMs: 50, retryAfterSeconds: 1 },
    admissionClock: () => now,
  });

  it('refuses whoever waited past the target once the queue has stood for its interval; the last one waiting is served', async () => {
    const { api } = held;
    await withOneInFlight(held, async (first, commit) => {
      const second = api.gql(`{ movies(first: 1) { totalCount } }`);
      await untilQueued(api, 1);
      now = 10;
      const third = api.gql(`{ movies(first: 2) { totalCount } }`);
      await untilQueued(api, 2);
      // 200 ms later the queue has not been empty once (STANDING_QUEUE_MS 100) and its oldest waited
      // past the 50 ms target: overload, so a new request is refused at once.
      now = 200;
      const fourth = await fetch(`${api.origin}/movies/search?query=harbor`);
      expect(fourth.status).toBe(503);
      expect(fourth.headers.get('retry-after')).toBe('1');
      expect(api.app.admission.stats()).toEqual({ inFlight: 1, queued: 2, shed: 1 });
      await commit();
      expect((await first).data.movies.totalCount).toBe(0);
      // When the first is done, the second (waited 200 ms, others behind it) is refused; the third,
      // the last one waiting, is served.
      expect(await second).toMatchObject({ status: 503 });
      expect((await third).data.movies.totalCount).toBe(0);
      expect(api.app.admission.stats()).toEqual({ inFlight: 0, queued: 0, shed: 2 });
    });
  });
});

describe('overload: event-loop lag', () => {
  // The lag the admission reads, set by the test (the real one comes from a timer: admission.ts eventLoopLag).
  let lag = 0;
  const held = heldApi({
    admission: { maxInFlight: 1, maxQueue: 10, maxWaitMs: 120_000, queueTargetMs: 0, retryAfterSeconds: 3, maxEventLoopLagMs: 100 },
    lagProbe: { lagMs: () => lag, close: () => undefined },
  }, true);

  const search = () => fetch(`${held.api.origin}/movies/search?query=harbor`);

  it('while every slot is taken, refuses new requests at once in proportion to the lag above the limit; health always answers', async () => {
    const { api } = held;
    await withOneInFlight(held, async (first, commit) => {
      // At twice the limit every new request is refused before any work, with Retry-After.
      lag = 200;
      for (let i = 0; i < 3; i++) {
        const res = await search();
        expect([res.status, res.headers.get('retry-after')]).toEqual([503, '3']);
      }
      expect((await api.gql(`{ genres { name } }`)).status).toBe(503);
      expect((await fetch(`${api.origin}/healthz`)).status).toBe(200);
      expect((await fetch(`${api.origin}/readyz`)).status).toBe(200);
      // Half-way: every second one, evenly (not at random); the others wait in the queue.
      lag = 150;
      const queued = search();
      await untilQueued(api, 1);
      expect((await search()).status).toBe(503);
      const alsoQueued = search();
      await untilQueued(api, 2);
      expect(api.app.admission.stats()).toEqual({ inFlight: 1, queued: 2, shed: 5 });
      lag = 0;
      await commit();
      expect((await first).data.movies.totalCount).toBe(1);
      expect([(await queued).status, (await alsoQueued).status]).toEqual([200, 200]);
    });
  });

  it('serves a request while a slot is free, however late the loop runs (the lag is not the API\'s own)', async () => {
    lag = 1000;
    for (let i = 0; i < 3; i++) expect((await search()).status).toBe(200);
    lag = 0;
  });
});

describe('overload: the event-loop lag probe', () => {
  it('reads how late its timer runs while the loop is held, and lets go when it is free again', async () => {
    const probe = eventLoopLag(10);
    try {
      await new Promise((resolve) => setTimeout(resolve, 30));
      // The loop held for 150 ms (synchronous work): its timer cannot have run, so it is that late.
      const held = performance.now();
      while (performance.now() - held < 150);
      expect(probe.lagMs()).toBeGreaterThanOrEqual(100);
      // Free again: what is read decays (x0.7 a tick) once the timer runs on time again.
      for (let i = 0; i < 300 && probe.lagMs() >= 50; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(probe.lagMs()).toBeLessThan(50);
    } finally {
      probe.close();
    }
  });
});
