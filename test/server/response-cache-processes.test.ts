/**
 * The whole-response cache across processes: two `moviec serve` processes and a `moviec worker`
 * process share one PostgreSQL and one Redis (a redis-server of this test). Each API process keeps
 * the answers it served and answers them again without reading them from Redis; the worker's
 * aggregation bumps the versions in Redis and publishes the bump, and once its jobs have finished
 * neither API process serves what it replaced.
 */
import type pg from 'pg';
import { queueImport } from '../../src/services/import.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { freePort } from '../support/free-port.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles, type Title } from '../support/imdb-files.js';
import { RedisServer, redisCommandCalls } from '../support/redis.js';
import { spawnMoviec, spawnWorker, waitFor, type Child } from '../support/reliability.js';

const MOVIE = 'query Movie($id: ID!) { movie(id: $id) { id title year score { value votes } genres { name } } }';
const TOP = '{ movies(first: 10, orderBy: SCORE_DESC) { edges { node { id title score { value } } } } }';
const HARBOR: Title = { tconst: 'tt0300001', title: 'Harbor Lights', year: 1994, genres: ['Drama'] };
const VALLEY: Title = { tconst: 'tt0300002', title: 'Iron Valley', year: 2001, genres: ['Western'] };

interface Api {
  child: Child;
  url: string;
}

async function serve(db: TestDatabase, redisUrl: string): Promise<Api> {
  const port = await freePort();
  const child = spawnMoviec(['serve'], { DATABASE_URL: db.url, REDIS_URL: redisUrl, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok, 60_000, `moviec serve on ${port}: ${child.output()}`, 200);
  return { child, url };
}

async function post(api: Api, query: string, variables?: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${api.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  expect(res.status).toBe(200);
  return res.text();
}

/** Queues an IMDb import for the worker process and waits until it and every job it queued have finished. */
async function importThroughWorker(pool: pg.Pool, titles: Title[], ratings: [string, number, number][]) {
  const files = await writeFiles(await tempDir(), { 'b.tsv': basicsTsv(titles), 'r.tsv': ratingsTsv(ratings) });
  const runId = await queueImport(pool, 'imdb', { basics: files['b.tsv']!, ratings: files['r.tsv']! }, 'cli');
  await waitFor(async () => {
    const { rows } = await pool.query<{ status: string }>('SELECT status FROM import_runs WHERE id = $1', [runId]);
    const { rows: jobs } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE run_at <= now()`);
    return rows[0]!.status === 'SUCCEEDED' && jobs[0]!.n === 0;
  }, 60_000, 'the import and its aggregation jobs to finish', 100);
}

describe('whole-response cache in several API processes (Redis, moviec serve x2, moviec worker)', () => {
  let db: TestDatabase;
  let redis: RedisServer;
  let apis: Api[] = [];
  let worker: Child;
  let harborId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = await RedisServer.start();
    worker = spawnWorker(db.url, { REDIS_URL: redis.url, LOG_LEVEL: 'warn' });
    await importThroughWorker(db.pool, [HARBOR, VALLEY], [['tt0300001', 7.0, 5000], ['tt0300002', 6.0, 3000]]);
    harborId = (await db.pool.query<{ id: string }>('SELECT id FROM movies WHERE imdb_id = $1', [HARBOR.tconst])).rows[0]!.id;
    apis = [await serve(db, redis.url), await serve(db, redis.url)];
  }, 120_000);
  afterAll(async () => {
    for (const api of apis) await api.child.kill();
    await worker?.kill();
    await redis?.stop();
    await db?.drop();
  });

  it('answers from each process\'s own copy, and never what the worker\'s aggregation replaced once its jobs finished', async () => {
    const title = (body: string) => (JSON.parse(body) as { data: { movie: { title: string; score: { votes: number } } } }).data.movie;
    const top = (body: string) => (JSON.parse(body) as { data: { movies: { edges: { node: { title: string } }[] } } }).data.movies.edges.map((e) => e.node.title);

    // Served once by each process (from the database or from Redis), then kept by each.
    for (const api of apis) {
      expect(title(await post(api, MOVIE, { id: harborId }))).toMatchObject({ title: 'Harbor Lights', score: { votes: 5000 } });
      expect(top(await post(api, TOP))).toEqual(['Harbor Lights', 'Iron Valley']);
    }
    // Each process answers again from its own copy: no answer is read from Redis (the kept copy
    // may take a request to be made, while the process's subscription to the bumps starts).
    await waitFor(async () => {
      const before = await redisCommandCalls(redis.url);
      for (const api of apis) {
        await post(api, MOVIE, { id: harborId });
        await post(api, TOP);
      }
      return ((await redisCommandCalls(redis.url)).mget ?? 0) === (before.mget ?? 0);
    }, 20_000, 'both API processes to answer from their own copies', 100);

    // The worker process aggregates a change of both movies, and invalidates them (Redis bump + publish).
    await importThroughWorker(db.pool, [{ ...HARBOR, title: 'Harbor Lights Redux' }, VALLEY], [['tt0300001', 3.0, 9000], ['tt0300002', 9.0, 3000]]);

    for (const api of apis) {
      expect(title(await post(api, MOVIE, { id: harborId }))).toMatchObject({ title: 'Harbor Lights Redux', score: { votes: 9000 } });
      expect(top(await post(api, TOP))).toEqual(['Iron Valley', 'Harbor Lights Redux']);
    }
  });
});
