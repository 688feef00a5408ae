import path from 'node:path';
import type pg from 'pg';
import { DEFER_INDEXES_MIN_MOVIES } from '../../src/db/deferred-indexes.js';
import { prepareDatabase } from '../../src/db/setup.js';
import { JOB, jobKey } from '../../src/jobs.js';
import { aggregateFirstLoad } from '../../src/services/aggregation.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { tempDir } from '../support/imdb-files.js';
import { drainJobs, executeImport, pendingJobs, queueImport } from '../support/pipeline.js';
import { generateImdb } from '../support/reliability.js';

// A large first load (at least DEFER_INDEXES_MIN_MOVIES movies) leaves movies' non-unique indexes
// to its first aggregation in bulk, which drops and builds them anyway (issue 18 point 3): built
// once, by whoever aggregates the first load — the bulk rebuild at its end, the first load's job
// when it queues chunks instead, or the next start-up when no such job is queued any more.

const indexes = async (pool: pg.Pool) =>
  (await pool.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE tablename = 'movies' ORDER BY indexdef`)).rows.map((r) => r.indexdef);
const deferred = async (pool: pg.Pool) =>
  (await pool.query<{ name: string }>('SELECT name FROM deferred_indexes ORDER BY name')).rows.map((r) => r.name);

describe('the movies indexes of a large first load', () => {
  const dbs: TestDatabase[] = [];
  let files: { basics: string; ratings: string };
  let schema: string[];

  /** A database with the large first load imported, its aggregation queued. */
  const loaded = async () => {
    const db = await createTestDatabase();
    dbs.push(db);
    schema ??= await indexes(db.pool);
    const runId = await queueImport(db.pool, 'imdb', files, 'cli');
    expect(await executeImport(db.pool, runId)).toMatchObject({ status: 'SUCCEEDED' });
    return db;
  };

  beforeAll(async () => {
    // ~52k movies.
    files = await generateImdb(path.join(await tempDir(), 'imdb'), 65_000, '5');
  }, 120_000);
  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  it('are left to the bulk rebuild, which builds them at its end', async () => {
    const db = await loaded();
    const movies = (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM movies')).rows[0]!.n;
    expect(movies).toBeGreaterThanOrEqual(DEFER_INDEXES_MIN_MOVIES);
    const after = await indexes(db.pool);
    const left = schema.filter((i) => !after.includes(i));
    // The eight non-unique ones (lists' orders, year, score); the primary key and imdb_id's unique index stay.
    expect(left).toHaveLength(8);
    expect(left.every((i) => i.startsWith('CREATE INDEX '))).toBe(true);
    expect(after.filter((i) => !schema.includes(i))).toEqual([]);
    expect(await deferred(db.pool)).toHaveLength(8);
    expect(await pendingJobs(db.pool)).toEqual([{ task_identifier: JOB.aggregateFirstLoad, key: jobKey.aggregateFirstLoad }]);
    // A start-up meanwhile leaves them to the queued job.
    await prepareDatabase(db.pool);
    expect(await deferred(db.pool)).toHaveLength(8);

    await drainJobs(db.pool);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM movies WHERE aggregate_hash IS NULL')).rows[0].n).toBe(0);
    expect(await indexes(db.pool)).toEqual(schema);
    expect(await deferred(db.pool)).toEqual([]);
  }, 240_000);

  it('are built by the first load job when it queues chunks instead', async () => {
    const db = await loaded();
    expect(await deferred(db.pool)).toHaveLength(8);
    await db.pool.query('DELETE FROM graphile_worker._private_jobs');
    const outcome = await aggregateFirstLoad({ pool: db.pool }, { bulk: { minFresh: 1e9, minQueuedJobs: 1e9 }, refitDelaySeconds: 0 });
    expect(outcome.rebuilt).toBeNull();
    expect(await indexes(db.pool)).toEqual(schema);
    expect(await deferred(db.pool)).toEqual([]);
  }, 240_000);

  it('are built at start-up when no first load job is queued any more', async () => {
    const db = await loaded();
    await db.pool.query('DELETE FROM graphile_worker._private_jobs');
    await prepareDatabase(db.pool);
    expect(await indexes(db.pool)).toEqual(schema);
    expect(await deferred(db.pool)).toEqual([]);
  }, 240_000);
});
