import type { JobHelpers } from 'graphile-worker';
import { enqueueAggregation } from '../../src/db/jobs.js';
import { createLogger } from '../../src/logger.js';
import { aggregateMovies } from '../../src/scoring/aggregate.js';
import { TAKE_QUEUED_MIN } from '../../src/services/aggregation.js';
import { createTaskList } from '../../src/workers/tasks.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles } from '../support/imdb-files.js';
import { importImdb } from '../support/pipeline.js';

// A per-movie aggregation job takes the other per-movie jobs a worker could start now into its own
// transaction (services/aggregation.ts takeQueued): done together when it commits, back in the
// queue untouched when it does not.
describe('per-movie aggregation jobs taken together', () => {
  let db: TestDatabase;
  let ids: string[];
  let expected: Map<string, string>;

  const jobs = async () =>
    (await db.pool.query<{ key: string | null; task: string; attempts: number; locked: boolean }>(
      `SELECT key, task_identifier AS task, attempts, locked_at IS NOT NULL AS locked FROM graphile_worker.jobs ORDER BY key`,
    )).rows;
  const hashes = async () =>
    new Map((await db.pool.query<{ id: string; aggregate_hash: string }>('SELECT id, aggregate_hash FROM movies')).rows.map((r) => [r.id, r.aggregate_hash]));
  /** Every movie stale and one queued aggregate-movie job per movie (as small changes queue them). */
  const queueAll = async () => {
    await db.pool.query('DELETE FROM graphile_worker._private_jobs');
    await db.pool.query(`UPDATE movies SET aggregate_hash = 'stale'`);
    await enqueueAggregation(db.pool, ids);
  };
  /** Runs the aggregate-movie task for `movieId` as a worker does: its own job locked by the worker. */
  const runJob = async (movieId: string) => {
    const { rows: [job] } = await db.pool.query<{ id: string }>(
      `UPDATE graphile_worker._private_jobs SET locked_at = now(), locked_by = 'test-worker', attempts = attempts + 1
        WHERE key = $1 RETURNING id::text`,
      [`aggregate:${movieId}`],
    );
    const task = createTaskList({ pool: db.pool, logger: createLogger('silent') })['aggregate-movie']!;
    await task({ movieId }, { job: { id: job!.id } } as unknown as JobHelpers);
    await db.pool.query('DELETE FROM graphile_worker._private_jobs WHERE id = $1', [job!.id]);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    const titles = Array.from({ length: 16 }, (_, i) => ({ tconst: `tt${String(3000000 + i)}`, title: `Queued Film ${i}`, year: 1990 + i }));
    const ratings = titles.map((t, i): [string, number, number] => [t.tconst, 5 + i * 0.3, 100 + i * 20]);
    const files = await writeFiles(await tempDir(), { 'b.tsv': basicsTsv(titles), 'r.tsv': ratingsTsv(ratings) });
    expect((await importImdb(db.pool, files['b.tsv']!, files['r.tsv']!)).status).toBe('SUCCEEDED');
    ids = (await db.pool.query<{ id: string }>('SELECT id FROM movies ORDER BY id')).rows.map((r) => r.id);
    expect(ids).toHaveLength(16);
    expected = await hashes();
  });
  afterAll(() => db.drop());

  it('aggregates the movies of the due per-movie jobs in one job, leaving jobs not due, locked or of other tasks', async () => {
    await queueAll();
    const [own, later, locked, ...rest] = ids;
    await db.pool.query(`UPDATE graphile_worker._private_jobs SET run_at = now() + interval '1 hour' WHERE key = $1`, [`aggregate:${later}`]);
    await db.pool.query(`UPDATE graphile_worker._private_jobs SET locked_at = now(), locked_by = 'other-worker' WHERE key = $1`, [`aggregate:${locked}`]);
    await db.pool.query(`SELECT graphile_worker.add_job('rematch-unmatched', '{}'::json, job_key => 'rematch-unmatched')`);

    await runJob(own!);

    const after = await hashes();
    for (const id of [own!, ...rest]) expect({ id, hash: after.get(id) }).toEqual({ id, hash: expected.get(id) });
    expect(after.get(later!)).toBe('stale');
    expect(after.get(locked!)).toBe('stale');
    expect(await jobs()).toEqual([
      { key: `aggregate:${later}`, task: 'aggregate-movie', attempts: 0, locked: false },
      { key: `aggregate:${locked}`, task: 'aggregate-movie', attempts: 0, locked: true },
      { key: 'rematch-unmatched', task: 'rematch-unmatched', attempts: 0, locked: false },
    ].sort((a, b) => a.key.localeCompare(b.key)));
  });

  it('leaves the taken jobs queued, untouched, when one of their movies cannot be aggregated, and aggregates its own movie', async () => {
    await queueAll();
    const [own, poisoned] = ids;
    // A fault in the database: writing this one movie fails.
    await db.pool.query(`CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$`);
    await db.pool.query(`CREATE TRIGGER test_refuse BEFORE UPDATE ON movies FOR EACH ROW WHEN (OLD.id = '${poisoned}') EXECUTE FUNCTION test_refuse()`);
    try {
      await runJob(own!);
    } finally {
      await db.pool.query('DROP TRIGGER test_refuse ON movies; DROP FUNCTION test_refuse()');
    }
    const after = await hashes();
    expect(after.get(own!)).toBe(expected.get(own!));
    for (const id of ids.slice(1)) expect({ id, hash: after.get(id) }).toEqual({ id, hash: 'stale' });
    expect(await jobs()).toEqual(ids.slice(1).map((id) => ({ key: `aggregate:${id}`, task: 'aggregate-movie', attempts: 0, locked: false })).sort((a, b) => a.key.localeCompare(b.key)));
  });

  it('leaves a few queued jobs (fewer than a burst) to the workers', async () => {
    await queueAll();
    const few = ids.slice(0, TAKE_QUEUED_MIN);
    await db.pool.query(`DELETE FROM graphile_worker._private_jobs WHERE NOT (key = ANY($1::text[]))`, [few.map((id) => `aggregate:${id}`)]);
    await runJob(few[0]!);
    const after = await hashes();
    expect(after.get(few[0]!)).toBe(expected.get(few[0]!));
    for (const id of few.slice(1)) expect({ id, hash: after.get(id) }).toEqual({ id, hash: 'stale' });
    expect((await jobs()).map((j) => j.key)).toEqual(few.slice(1).map((id) => `aggregate:${id}`).sort());
  });

  it('gives every movie the result aggregating it alone gives', async () => {
    await queueAll();
    await runJob(ids[5]!);
    const taken = await hashes();
    await db.pool.query(`UPDATE movies SET aggregate_hash = 'stale'`);
    for (const id of ids) await aggregateMovies(db.pool, [id]);
    expect(await hashes()).toEqual(taken);
    expect(await jobs()).toEqual([]);
  });
});
