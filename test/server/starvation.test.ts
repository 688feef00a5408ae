import pg from 'pg';
import { createPool } from '../../src/db/pool.js';
import { insertMovie, postGraphQL, startTestApi, type TestApi } from '../support/graphql-api.js';

/**
 * Issue 13 point 2: no request can starve others. Expensive requests are refused by their cost
 * before they run, repeated reports are computed once, a statement is bounded by statement_timeout
 * and cancelled when its client goes away, and a cheap probe is answered while an expensive request
 * is still running. The "expensive request" is made to run as long as the test wants by holding a
 * lock on the table it reads (never by racing a timer).
 */

const ALIASES = 2000;
const aliasAttack = `{ ${Array.from({ length: ALIASES }, (_, i) => `a${i}: matchReport { total }`).join(' ')} }`;

/** Waits until PostgreSQL shows a statement of the API waiting on a lock for `table`, returning its pid. */
async function waitingStatement(admin: pg.Pool, pattern: string): Promise<number> {
  for (;;) {
    const { rows } = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1 AND pid <> pg_backend_pid()`,
      [pattern],
    );
    if (rows[0]) return rows[0].pid;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function isRunning(admin: pg.Pool, pid: number): Promise<boolean> {
  const { rows } = await admin.query<{ state: string | null; query: string }>(`SELECT state, query FROM pg_stat_activity WHERE pid = $1`, [pid]);
  return rows[0]?.state === 'active';
}

describe('no request can starve others', () => {
  let api: TestApi;
  let admin: pg.Pool;

  beforeAll(async () => {
    api = await startTestApi();
    admin = new pg.Pool({ connectionString: api.db.url, max: 3 });
    // Its idle connections may be ended by the database's drop after admin.end() resolved (57P01).
    admin.on('error', () => undefined);
    await insertMovie(api.db.pool, { title: 'Harbor', year: 1999 });
  });
  afterAll(async () => {
    await admin.end();
    await api.close();
  });

  it(`refuses the ${ALIASES}-alias matchReport attack before running anything`, async () => {
    expect(aliasAttack.length).toBeGreaterThan(40_000);
    const res = await api.gql(aliasAttack);
    expect(res.status).toBe(400);
    // The parser stops at MAX_QUERY_TOKENS, before validation (quadratic in the fields of a selection set) starts.
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(res.errors?.[0]?.message).toMatch(/Document contains more (than|that) 2000 tokens/);
    expect(res.data).toBeUndefined();
    // Within the token limit, the root-field cap refuses it.
    const smaller = await api.gql(`{ ${Array.from({ length: 300 }, (_, i) => `a${i}: matchReport { total }`).join(' ')} }`);
    expect(smaller.status).toBe(400);
    expect(smaller.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', rootFields: 300, maxRootFields: 20 });
    // Aliases deeper down are capped too (each makes validation compare it with its siblings).
    const nested = await api.gql(`{ movies { edges { node { ${Array.from({ length: 150 }, (_, i) => `t${i}: title`).join(' ')} } } } }`);
    expect(nested.status).toBe(400);
    expect(nested.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', aliases: 150, maxAliases: 100 });
  });

  it('computes one match report for many aliases and many requests at once (the first report of this API)', async () => {
    // Hold the table: every report asked for meanwhile waits on the same single statement.
    const locker = await admin.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE provider_records IN ACCESS EXCLUSIVE MODE');
      const pending = Array.from({ length: 10 }, () => api.gql(`{ a: matchReport { total } b: matchReport { matched } }`));
      await waitingStatement(admin, '%FROM provider_records GROUP BY%');
      const { rows } = await admin.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE '%FROM provider_records GROUP BY%' AND pid <> pg_backend_pid() AND state = 'active'`,
      );
      expect(Number(rows[0]!.n)).toBe(1);
      await locker.query('COMMIT');
      for (const res of await Promise.all(pending)) expect(res.errors).toBeUndefined();
    } finally {
      locker.release();
    }
  });

  it('counts what database-bound fields cost: matchReport, totalCount and facets are not 1', async () => {
    // 11 match reports: under the root-field cap, over the cost limit (500 each).
    const reports = await api.gql(`{ ${Array.from({ length: 11 }, (_, i) => `r${i}: matchReport { total }`).join(' ')} }`);
    expect(reports.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', maxComplexity: 5000 });
    expect(reports.errors![0]!.extensions!.complexity).toBeGreaterThanOrEqual(5500);
    // 500 × searchMovies { totalCount } (10.7 s in the issue): refused by the root-field cap; 20 of them with
    // facets by their cost (ranking 50 + count 100 + facets 300 each).
    const counts = await api.gql(`{ ${Array.from({ length: 150 }, (_, i) => `s${i}: searchMovies(query: "h${i}") { totalCount }`).join(' ')} }`);
    expect(counts.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', rootFields: 150 });
    const facets = await api.gql(
      `{ ${Array.from({ length: 20 }, (_, i) => `s${i}: searchMovies(query: "h${i}") { totalCount facets { genres { name } } }`).join(' ')} }`,
    );
    expect(facets.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX' });
    expect(facets.errors![0]!.extensions!.complexity).toBeGreaterThanOrEqual(20 * 450);
    // totalCount is counted once per list, not once per item of the page.
    const one = await api.gql(`{ movies(first: 100) { totalCount edges { node { id title } } } searchMovies(query: "harbor") { totalCount facets { genres { name count } } } matchReport { total } }`);
    expect(one.errors).toBeUndefined();
    expect(one.data.movies.totalCount).toBe(1);
  });

  it('answers a probe within 1 s while an expensive request is still running', async () => {
    const locker = await admin.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE movies IN ACCESS EXCLUSIVE MODE');
      let expensiveDone = false;
      const expensive = api.gql(`{ movies(filter: { minVotes: 0 }) { totalCount } }`).finally(() => {
        expensiveDone = true;
      });
      const pid = await waitingStatement(admin, '%FROM movies m%');
      const started = Date.now();
      const probe = await api.gql(`{ genres { name } providers { key } }`);
      const elapsed = Date.now() - started;
      expect(probe.errors).toBeUndefined();
      expect(probe.data.providers.length).toBeGreaterThan(0);
      // Ordering: the probe's answer arrived while the expensive statement still runs.
      expect(expensiveDone).toBe(false);
      expect(await isRunning(admin, pid)).toBe(true);
      expect(elapsed).toBeLessThan(1000);
      await locker.query('COMMIT');
      expect((await expensive).errors).toBeUndefined();
    } finally {
      locker.release();
    }
  });

  it('cancels the running statement when the client goes away', async () => {
    const locker = await admin.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE movies IN ACCESS EXCLUSIVE MODE');
      const controller = new AbortController();
      const request = fetch(api.server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ movies(filter: { minVotes: 1 }) { totalCount } }` }),
        signal: controller.signal,
      }).catch((error: unknown) => error);
      const pid = await waitingStatement(admin, '%FROM movies m%');
      controller.abort();
      expect(await request).toMatchObject({ name: 'AbortError' });
      // The lock is still held: the statement ends only because it was cancelled.
      while (await isRunning(admin, pid)) await new Promise((resolve) => setTimeout(resolve, 20));
      const { rows } = await admin.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FROM movies m%' AND pid <> pg_backend_pid()`);
      expect(rows).toEqual([]);
      await locker.query('COMMIT');
    } finally {
      locker.release();
    }
    // The API goes on answering.
    expect((await api.gql(`{ movies { totalCount } }`)).data.movies.totalCount).toBe(1);
  });

  it('REST: cancels the search when the client goes away', async () => {
    const locker = await admin.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE movies IN ACCESS EXCLUSIVE MODE');
      const controller = new AbortController();
      const request = fetch(`${api.origin}/movies/search?query=harbor&minVotes=3`, { signal: controller.signal }).catch((error: unknown) => error);
      const pid = await waitingStatement(admin, '%movies%');
      controller.abort();
      expect(await request).toMatchObject({ name: 'AbortError' });
      while (await isRunning(admin, pid)) await new Promise((resolve) => setTimeout(resolve, 20));
      await locker.query('COMMIT');
    } finally {
      locker.release();
    }
  });
});

describe('statement_timeout on the API pool', () => {
  let api: TestApi;
  let admin: pg.Pool;
  let timed: pg.Pool;

  beforeAll(async () => {
    api = await startTestApi();
    admin = new pg.Pool({ connectionString: api.db.url, max: 2 });
    // Its idle connections may be ended by the database's drop after admin.end() resolved (57P01).
    admin.on('error', () => undefined);
    timed = createPool(api.db.url, 5, { statementTimeoutMs: 300 });
  });
  afterAll(async () => {
    await timed.end();
    await admin.end();
    await api.close();
  });

  it('cancels a statement past API_STATEMENT_TIMEOUT_MS, answered as QUERY_TOO_COMPLEX (GraphQL) and 503 (REST)', async () => {
    // The same app code on a pool with a 300 ms statement_timeout, as startApi builds from the environment.
    const { createApp } = await import('../../src/server/app.js');
    const app = await createApp({ pool: timed });
    const server = await app.start(0, '127.0.0.1');
    const locker = await admin.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE provider_records, movies IN ACCESS EXCLUSIVE MODE');
      const report = await postGraphQL(server.url, `{ matchReport { total } }`);
      expect(report.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
      expect(report.errors?.[0]?.message).toMatch(/took longer than the API allows/);
      const rest = await fetch(`${new URL(server.url).origin}/movies/search?query=harbor&minVotes=1`);
      expect(rest.status).toBe(503);
      expect(rest.headers.get('retry-after')).toBe('1');
      await locker.query('COMMIT');
      // Not kept: the next report is computed.
      expect((await postGraphQL(server.url, `{ matchReport { total } }`)).errors).toBeUndefined();
    } finally {
      locker.release();
      await server.close();
    }
  });
});
