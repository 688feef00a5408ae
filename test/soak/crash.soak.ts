/**
 * Crash safety: a `moviec worker` process is killed with SIGKILL in the middle of a large IMDb
 * import, and again in the middle of the aggregation that import queued. After a restart the run
 * completes, nothing is duplicated or lost, and every curated movie equals a clean rebuild: the
 * same files imported without interruption into a fresh database (compared row by row, hashes
 * included), and a recomputation of every movie in place changes nothing.
 */
import { rm } from 'node:fs/promises';
import { aggregateMovies, allMovieIds } from '../../src/scoring/aggregate.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { tempDir } from '../support/imdb-files.js';
import { queueImport } from '../support/pipeline.js';
import {
  catalogueSnapshot, errorLines, generateImdb, integrityCounts, queuedJobs, reachedFaultPoint, spawnMoviec, spawnWorker, waitFor, type Child,
} from '../support/reliability.js';

const TITLES = Number(process.env.SOAK_CRASH_TITLES ?? 30_000);

describe(`a worker killed with SIGKILL mid-import and mid-aggregation (${TITLES} titles)`, () => {
  let db: TestDatabase;
  let reference: TestDatabase;
  let dir: string;
  let files: { basics: string; ratings: string };
  const children: Child[] = [];

  beforeAll(async () => {
    [db, reference] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    dir = await tempDir();
    files = await generateImdb(dir, TITLES);
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => c.kill('SIGKILL')));
    await Promise.all([db?.drop(), reference?.drop()]);
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (id: string) =>
    (await db.pool.query<{ status: string; rows_read: number; rows_changed: number; rows_rejected: number; error: string | null }>(
      'SELECT status, rows_read, rows_changed, rows_rejected, error FROM import_runs WHERE id = $1', [id],
    )).rows[0]!;
  const staged = async (id: string) =>
    (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM import_staging_records WHERE run_id = $1', [id])).rows[0]!.n;

  it('completes after restarts with the same catalogue as an uninterrupted import', async () => {
    const timings: Record<string, number> = {};
    // The uninterrupted import into the reference database runs meanwhile: `moviec import imdb`,
    // which waits for the run and its aggregation.
    const referenceStarted = Date.now();
    const referenceImport = spawnMoviec(['import', 'imdb', '--basics', files.basics, '--ratings', files.ratings], {
      DATABASE_URL: reference.url, LOG_LEVEL: 'warn',
    });
    children.push(referenceImport);
    const referenceExit = referenceImport.exited.then((code) => {
      timings.referenceImportMs = Date.now() - referenceStarted;
      return code;
    });

    // 1. The first worker freezes once its third batch of input is staged (a named fault point,
    //    src/fault-points.ts), and is killed there.
    const runId = await queueImport(db.pool, 'imdb', files, 'cli');
    const first = spawnWorker(db.url, { MOVIEC_FAULT_POINT: 'staging.batch-written@3' });
    children.push(first);
    await reachedFaultPoint(first, 'staging.batch-written');
    expect(await first.kill('SIGKILL')).toBe('SIGKILL');
    const afterImportKill = { staged: await staged(runId), run: await run(runId), counts: await integrityCounts(db.pool) };
    expect(afterImportKill.run.status).toBe('RUNNING');
    expect(afterImportKill.staged).toBeGreaterThan(0);
    expect(afterImportKill.counts).toMatchObject({ records: 0, movies: 0 });

    // 2. A new worker recovers the job the dead one held, starts the run over, and freezes after
    //    its tenth aggregation job committed (of ~50): killed there, mid-aggregation.
    const second = spawnWorker(db.url, { MOVIEC_FAULT_POINT: 'aggregate.committed@10' });
    children.push(second);
    const recoveredAt = Date.now();
    await reachedFaultPoint(second, 'aggregate.committed');
    timings.recoveryImportAndTenChunksMs = Date.now() - recoveredAt;
    expect({ exit: await referenceExit, output: referenceImport.output() }).toEqual({ exit: 0, output: expect.stringMatching(/SUCCEEDED/) });
    const { rows: [cleanRun] } = await reference.pool.query<{ rows_changed: number }>('SELECT rows_changed FROM import_runs');
    expect(await run(runId)).toMatchObject({ status: 'SUCCEEDED', rows_changed: cleanRun!.rows_changed, rows_rejected: 0, error: null });
    const movieCount = (await integrityCounts(db.pool)).movies;
    expect(await second.kill('SIGKILL')).toBe('SIGKILL');
    const afterAggregateKill = await integrityCounts(db.pool);
    expect(afterAggregateKill.unaggregated).toBeGreaterThan(0);
    expect(afterAggregateKill.unaggregated).toBeLessThan(movieCount);

    // 3. A third worker finishes the aggregation.
    const third = spawnWorker(db.url);
    children.push(third);
    const thirdAt = Date.now();
    await waitFor(async () => {
      const jobs = await queuedJobs(db.pool);
      return Object.keys(jobs).every((task) => task === 'rematch-unmatched') && (await integrityCounts(db.pool)).unaggregated === 0;
    }, 120_000, 'aggregation to finish');
    timings.aggregationAfterSecondKillMs = Date.now() - thirdAt;
    await third.kill('SIGTERM');
    expect(third.output()).toMatch(/released the jobs of worker processes that ended without finishing them/);
    expect(second.output()).toMatch(/released the jobs of worker processes that ended without finishing them/);
    // No worker logged an error (the message is in the failure).
    expect([first, second, third].flatMap(errorLines)).toEqual([]);

    // Nothing duplicated or lost, and the same catalogue as the clean import.
    const counts = await integrityCounts(db.pool);
    expect(counts).toEqual(await integrityCounts(reference.pool));
    expect(counts).toMatchObject({ staged: 0, unaggregated: 0 });
    expect(counts.records).toBe(counts.distinct_records);
    expect(counts.movies).toBe(counts.distinct_movies);
    expect(await queuedJobs(db.pool)).toEqual(await queuedJobs(reference.pool));
    const [crashed, clean] = await Promise.all([catalogueSnapshot(db.pool), catalogueSnapshot(reference.pool)]);
    for (const table of ['records', 'movies', 'ratings', 'genres', 'titles'] as const) {
      expect({ table, rows: crashed[table].length }).toEqual({ table, rows: clean[table].length });
      expect(crashed[table]).toEqual(clean[table]);
    }

    // Recomputing every movie in place changes nothing: the stored aggregates are a clean rebuild.
    let changed = 0;
    for await (const ids of allMovieIds(db.pool)) changed += (await aggregateMovies(db.pool, ids)).changed.length;
    expect(changed).toBe(0);

    console.log(
      `crash soak: ${TITLES} titles, ${counts.records} records, ${counts.movies} movies; ` +
        `killed with ${afterImportKill.staged} rows staged and with ${afterAggregateKill.unaggregated}/${movieCount} movies left to aggregate; ` +
        JSON.stringify(timings),
    );
  });
});
