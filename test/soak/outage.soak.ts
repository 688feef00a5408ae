/**
 * PostgreSQL outages while work is in flight. A real cluster of this test's own is stopped in
 * immediate mode (SIGQUIT to the postmaster, as `pg_ctl stop -m immediate`) while a MovieC process
 * is frozen at a named fault point (src/fault-points.ts) in the middle of an import or of an
 * aggregation; the process is then resumed into the outage. No timer is raced.
 *
 * - `npm start` (API + worker in one process), mid-import: the process stays up (it died with
 *   ECONNREFUSED at batchFailJobs before), /readyz says 503 while the database is down and 200
 *   after, /healthz 200 throughout; the job is retried and the run ends SUCCEEDED (not RUNNING).
 * - `moviec worker`, mid-aggregation with a job in progress on each of its workers: stays up, the
 *   aggregation queue empties after the restart and the stored aggregates equal a clean aggregation.
 *   Three jobs are held at fault points and go on one at a time, so Graphile Worker's pool meets the
 *   case that leaves its shutdown unsettled for ever (docs/RELIABILITY.md 5b) on every run.
 * - `moviec import`, mid-import, database down for longer than DB_OUTAGE_WAIT_SECONDS: exits 3 with
 *   a clear message; the next worker finishes the run.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded.js';
import { createPool } from '../../src/db/pool.js';
import { aggregateMovies, allMovieIds } from '../../src/scoring/aggregate.js';
import { prepareDatabase } from '../../src/db/setup.js';
import { queueImport } from '../../src/services/import.js';
import { IMPORT_FOLLOW_UP_JOBS } from '../../src/jobs.js';
import { freePort } from '../support/free-port.js';
import { insertMovie } from '../support/graphql-api.js';
import {
  errorLines, generateImdb, integrityCounts, reachedFaultPoint, spawnMoviec, spawnNode, spawnWorker, waitFor, type Child,
} from '../support/reliability.js';

const TITLES = 6000;

describe('PostgreSQL stopped (immediate) in the middle of an import and of an aggregation', () => {
  let dir: string;
  let pgPort: number;
  let embedded: EmbeddedDatabase | undefined;
  let pool: pg.Pool;
  let url: string;
  let files: { basics: string; ratings: string };
  const children: Child[] = [];

  const startPg = async () => {
    embedded = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: pgPort, persistent: true, database: 'moviec' });
    url = embedded.url;
  };
  /** Immediate shutdown: the postmaster gets SIGQUIT and every backend is cut without a goodbye. */
  const stopPgImmediately = async () => {
    const pid = Number((await readFile(path.join(dir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    process.kill(pid, 'SIGQUIT');
    await waitFor(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 30_000, 'the postmaster to exit', 50);
    embedded = undefined;
  };
  const run = async (id: string) =>
    (await pool.query<{ status: string; error: string | null }>('SELECT status, error FROM import_runs WHERE id = $1', [id])).rows[0]!;
  // Aggregation and the scoring refit an import queues 5 s after it (which re-aggregates what its
  // new fit moves): counting aggregation alone, a refit due during the next scenario could commit
  // new priors after that scenario's queue looked empty, and its check of a clean aggregation fail.
  const aggregationLeft = async () =>
    (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = ANY($1::text[])`, [IMPORT_FOLLOW_UP_JOBS])).rows[0]!.n;
  const alive = (child: Child) => child.process.exitCode === null && child.process.signalCode === null;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'moviec-outage-'));
    pgPort = await freePort();
    await startPg();
    pool = createPool(url, 5);
    await prepareDatabase(pool);
    // A catalogue that is not empty: `npm start` does not import the bundled samples.
    await insertMovie(pool, { title: 'Already Here', year: 1999 });
    files = await generateImdb(path.join(dir, 'files'), TITLES);
  }, 120_000);
  afterEach(async () => {
    // A failed scenario leaves no process behind to take the next one's jobs.
    for (const child of children) if (alive(child)) child.process.kill('SIGCONT');
    await Promise.all(children.filter(alive).map((c) => c.kill('SIGKILL')));
  });
  afterAll(async () => {
    for (const child of children) {
      if (alive(child)) child.process.kill('SIGCONT');
    }
    await Promise.all(children.map((c) => c.kill('SIGKILL')));
    await pool?.end().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('npm start: stays up through the outage, /readyz tells the truth, the import ends SUCCEEDED', async () => {
    const port = await freePort();
    const app = spawnNode(['dist/main.js'], {
      DATABASE_URL: url, PORT: String(port), HOST: '127.0.0.1', WORKER_RECOVERY_SECONDS: '1',
      MOVIEC_FAULT_POINT: 'staging.batch-written@1',
    });
    children.push(app);
    await waitFor(() => /MovieC ready at/.test(app.output()) || (alive(app) ? false : Promise.reject(new Error(app.output()))), 60_000, 'npm start');
    const origin = `http://127.0.0.1:${port}`;
    const status = async (p: string) => (await fetch(origin + p)).status;
    expect(await status('/readyz')).toBe(200);

    const runId = await queueImport(pool, 'imdb', files, 'cli');
    await reachedFaultPoint(app, 'staging.batch-written');
    await stopPgImmediately();
    app.process.kill('SIGCONT');

    await waitFor(async () => (await status('/readyz')) === 503, 20_000, '/readyz to say 503');
    expect(await status('/healthz')).toBe(200);
    // The staging write after the frozen one meets the outage: the job fails (logged), the process lives.
    await waitFor(() => errorLines(app).length > 0, 30_000, 'the import job to meet the outage');
    expect(alive(app)).toBe(true);

    await startPg();
    await waitFor(async () => (await status('/readyz')) === 200, 30_000, '/readyz to say 200 again');
    await waitFor(async () => (await run(runId)).status === 'SUCCEEDED' && (await aggregationLeft()) === 0, 120_000, 'the import to finish after the restart', 200);
    expect(alive(app)).toBe(true);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM import_runs WHERE status IN ('QUEUED', 'RUNNING')`);
    expect(rows[0].n).toBe(0);
    expect(await app.kill('SIGTERM')).toBe(0);
  }, 240_000);

  it('moviec worker: stays up through an outage with a job in progress on every worker; the aggregation ends as a clean one', async () => {
    // Every movie aggregated again, in chunks of 500 (12 jobs).
    await pool.query(
      `SELECT graphile_worker.add_jobs(ARRAY(
         SELECT ROW('aggregate-movies', json_build_object('movieIds', ids), NULL, NULL, NULL, NULL, NULL, NULL)::graphile_worker.job_spec
           FROM (SELECT json_agg(id) AS ids FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / 500 AS c FROM movies) x GROUP BY c) chunks))`,
    );
    // Three workers, each held with a job: two after their commit, one before its transaction (a
    // held worker takes no other job, so these are three workers). Two completions recorded on one
    // batcher after its first failure, while the third job keeps the pool's shutdown waiting: the
    // case that leaves Graphile Worker's shutdown unsettled for ever (RELIABILITY 5b).
    const worker = spawnWorker(url, {
      WORKER_CONCURRENCY: '3', MOVIEC_FAULT_POINT: 'aggregate.committed@1,aggregate.committed@2,aggregate.starting@4',
    });
    children.push(worker);
    const count = (pattern: RegExp) => errorLines(worker).filter((line) => pattern.test(line)).length;
    await reachedFaultPoint(worker, 'aggregate.starting');
    await waitFor(() => (worker.output().match(/fault point aggregate\.committed reached/g) ?? []).length === 2, 120_000, 'two jobs held after their commit');
    const left = await aggregationLeft();
    expect(left).toBeGreaterThan(0);
    await stopPgImmediately();
    // SIGCONT: the first job held goes on into the outage; recording its completion fails and
    // Graphile Worker starts shutting its pool down.
    worker.process.kill('SIGCONT');
    await waitFor(() => count(/Failed to complete jobs/) === 1, 30_000, 'the first completion to fail');
    // A line on its standard input: the next one goes on; its completion fails on the same batcher.
    worker.process.stdin!.write('\n');
    await waitFor(() => count(/Failed to complete jobs/) === 2, 30_000, 'the second completion to fail');
    // And the last: its transaction meets the outage, the job fails and that cannot be recorded either.
    worker.process.stdin!.write('\n');
    await waitFor(() => count(/Failed to fail jobs/) === 1, 30_000, 'the third job to fail');
    expect(alive(worker)).toBe(true);

    await startPg();
    await waitFor(async () => (await aggregationLeft().catch(() => -1)) === 0, 120_000, 'aggregation to finish', 200);
    expect(alive(worker)).toBe(true);
    expect(worker.output()).toMatch(/worker pool stopped on a database error/);
    expect(worker.output()).toMatch(/worker pool restarted/);
    expect(worker.output()).toMatch(/released the jobs of worker processes that ended without finishing them/);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM import_runs WHERE status IN ('QUEUED', 'RUNNING')`);
    expect(rows[0].n).toBe(0);
    expect(await integrityCounts(pool)).toMatchObject({ unaggregated: 0, staged: 0 });
    // Recomputing every movie in place changes nothing: the stored aggregates are a clean aggregation.
    let changed = 0;
    for await (const ids of allMovieIds(pool)) changed += (await aggregateMovies(pool, ids)).changed.length;
    expect(changed).toBe(0);
    console.log(`outage soak (moviec worker): ${left} aggregation jobs left when PostgreSQL stopped; 3 jobs held; pool restarted, queue empty, 0 movies differ from a clean aggregation`);
    expect(await worker.kill('SIGTERM')).toBe(0);
  }, 240_000);

  it('moviec import: a clear message and exit code 3 when the database stays away; the run is finished by the next worker', async () => {
    // Other files than the first import's (an unchanged file is recognised and not staged again).
    const changed = await generateImdb(path.join(dir, 'files-2'), TITLES, '2');
    const cli = spawnMoviec(['import', 'imdb', '--basics', changed.basics, '--ratings', changed.ratings], {
      DATABASE_URL: url, DB_OUTAGE_WAIT_SECONDS: '1', WORKER_RECOVERY_SECONDS: '1', LOG_LEVEL: 'warn',
      MOVIEC_FAULT_POINT: 'staging.batch-written@1',
    });
    children.push(cli);
    await reachedFaultPoint(cli, 'staging.batch-written');
    const { rows: [queued] } = await pool.query<{ id: string }>(`SELECT id FROM import_runs ORDER BY id DESC LIMIT 1`);
    await stopPgImmediately();
    cli.process.kill('SIGCONT');
    expect(await cli.exited).toBe(3);
    expect(cli.output()).toMatch(new RegExp(`The database is unreachable .*waiting up to 1 s`));
    expect(cli.output()).toMatch(new RegExp(`Error: the database is unreachable .* Import run ${queued!.id} is not lost: the next worker .* moviec status --run ${queued!.id}`));
    // The CLI's own last words are that one line, no stack trace (worker log lines above may carry one).
    expect(cli.output().slice(cli.output().indexOf('Error: the database is unreachable')).trim().split('\n')).toHaveLength(1);

    await startPg();
    await waitFor(async () => (await run(queued!.id).catch(() => ({ status: '?' }))).status === 'RUNNING', 10_000, 'the database to answer');
    const worker = spawnWorker(url);
    children.push(worker);
    await waitFor(async () => (await run(queued!.id)).status === 'SUCCEEDED', 90_000, 'the next worker to finish the run', 200);
    expect(errorLines(worker)).toEqual([]);
    expect(await worker.kill('SIGTERM')).toBe(0);
  }, 240_000);
});
