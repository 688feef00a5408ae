import { loadConfig } from '../../src/config.js';
import { SAMPLES_2026_11 as SAMPLES } from '../fixtures/sample-2026-11/index.js';
import { createLogger } from '../../src/logger.js';
import { plannedSchedules, workerSchedules } from '../../src/schedule/schedules.js';
import { createOperationsTasks } from '../../src/schedule/tasks.js';
import { operationsWorkerOptions } from '../../src/schedule/worker-options.js';
import { startWorker } from '../../src/workers/runner.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { runJobsOnce } from '../support/jobs.js';
import { ConfigError } from '../../src/errors.js';

const silent = createLogger('silent');
const config = (env: Record<string, string>) => loadConfig({ ...env });

describe('schedules from configuration', () => {
  it('are off when nothing is configured', () => {
    expect(plannedSchedules(config({}))).toEqual([]);
  });

  it('default to nightly imports of configured files and hourly TMDB changes with a token', () => {
    const schedules = plannedSchedules(config({
      IMDB_BASICS_URL: 'https://datasets.example.org/title.basics.tsv.gz',
      IMDB_RATINGS_URL: 'https://datasets.example.org/title.ratings.tsv.gz',
      ROTTENTOMATOES_FILE: '/data/rotten_tomatoes_movies.csv',
      MOVIELENS_DIR: '/data/ml-latest',
      TMDB_API_TOKEN: 'token',
    }));
    expect(schedules.map(({ identifier, cron, payload }) => ({ identifier, cron, payload }))).toEqual([
      {
        identifier: 'import-imdb',
        cron: '0 2 * * *',
        payload: { provider: 'imdb', location: { basics: 'https://datasets.example.org/title.basics.tsv.gz', ratings: 'https://datasets.example.org/title.ratings.tsv.gz' } },
      },
      { identifier: 'import-rottentomatoes', cron: '30 2 * * *', payload: { provider: 'rottentomatoes', location: { file: '/data/rotten_tomatoes_movies.csv' } } },
      { identifier: 'import-movielens', cron: '0 3 * * *', payload: { provider: 'movielens', location: { dir: '/data/ml-latest' } } },
      { identifier: 'import-tmdb', cron: '15 * * * *', payload: { provider: 'tmdb', location: {} } },
    ]);
    expect(schedules[0]!.reason).toMatch(/^default: nightly/);
  });

  it('are overridden per provider, or turned off', () => {
    const schedules = plannedSchedules(config({
      MOVIELENS_DIR: '/data/ml', SCHEDULE_MOVIELENS: '0 4 * * 1', TMDB_API_TOKEN: 't', SCHEDULE_TMDB: 'off', POSTER_MIRROR: 'local',
    }));
    expect(schedules.map((s) => [s.identifier, s.cron, s.reason])).toEqual([
      ['import-movielens', '0 4 * * 1', 'SCHEDULE_MOVIELENS'],
      ['mirror-posters', '45 * * * *', 'default: hourly, POSTER_MIRROR is on'],
    ]);
  });

  it('reject a bad cron expression at start, naming the variable', () => {
    expect(() => config({ SCHEDULE_IMDB: '0 3 * *' })).toThrow(ConfigError);
    expect(() => config({ SCHEDULE_IMDB: '0 3 * *' })).toThrow(/SCHEDULE_IMDB: "0 3 \* \*" is not a cron expression/);
    expect(() => config({ SCHEDULE_TMDB: '61 * * * *' })).toThrow(/SCHEDULE_TMDB: .*Too large value '61' in minutes range/);
  });

  it('reject a schedule for a provider that is not configured, and half an IMDb pair', () => {
    expect(() => plannedSchedules(config({ SCHEDULE_ROTTENTOMATOES: '0 1 * * *' }))).toThrow(
      'Invalid schedule configuration:\n  SCHEDULE_ROTTENTOMATOES: is "0 1 * * *" but ROTTENTOMATOES_FILE is not set',
    );
    expect(() => plannedSchedules(config({ IMDB_BASICS_URL: '/data/title.basics.tsv' }))).toThrow(
      /IMDB_BASICS_URL and IMDB_RATINGS_URL must be set together/,
    );
  });

  it('become Graphile Worker cron items', () => {
    const items = workerSchedules(config({ ROTTENTOMATOES_FILE: '/data/rt.csv' }));
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      task: 'scheduled-import',
      identifier: 'import-rottentomatoes',
      options: { backfillPeriod: 12 * 3600_000, maxAttempts: 1, jobKey: 'import-rottentomatoes' },
    });
  });
});

describe('the scheduled-import task', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  const runJobs = () => runJobsOnce(db.pool, createOperationsTasks({ pool: db.pool, logger: silent }));

  it('queues an import run with trigger schedule, and none while one is still queued', async () => {
    const payload = JSON.stringify({ provider: 'rottentomatoes', location: { file: '/data/rotten_tomatoes_movies.csv' }, _cron: { ts: new Date().toISOString() } });
    await db.pool.query(`SELECT graphile_worker.add_job('scheduled-import', $1::json)`, [payload]);
    await runJobs();
    const { rows } = await db.pool.query(`SELECT provider_key, trigger, status, source FROM import_runs`);
    expect(rows).toEqual([
      { provider_key: 'rottentomatoes', trigger: 'schedule', status: 'QUEUED', source: { file: '/data/rotten_tomatoes_movies.csv' } },
    ]);

    await db.pool.query(`SELECT graphile_worker.add_job('scheduled-import', $1::json)`, [payload]);
    await runJobs();
    const again = await db.pool.query(`SELECT count(*)::int AS n FROM import_runs`);
    expect(again.rows[0].n).toBe(1);
  });

  it('fails a job whose payload does not fit the job catalogue, naming what is wrong, and queues nothing', async () => {
    await db.pool.query(`SELECT graphile_worker.add_job('scheduled-import', '{"provider": 7}'::json, max_attempts => 1)`);
    await db.pool.query(`SELECT graphile_worker.add_job('scheduled-import', '{"provider": "netflix", "location": {}}'::json, max_attempts => 1)`);
    await runJobs();
    const { rows } = await db.pool.query(
      `SELECT last_error FROM graphile_worker.jobs WHERE task_identifier = 'scheduled-import' ORDER BY id`,
    );
    expect(rows).toEqual([
      { last_error: 'Job scheduled-import has an invalid payload: provider: Invalid input: expected string, received number; location: Invalid input: expected record, received undefined' },
      { last_error: 'Unknown provider "netflix"; known: imdb, tmdb, rottentomatoes, movielens' },
    ]);
    const runs = await db.pool.query(`SELECT count(*)::int AS n FROM import_runs`);
    expect(runs.rows[0].n).toBe(1);
  });

  it('is registered with the worker crontab', async () => {
    const runner = await startWorker({
      pool: db.pool,
      logger: silent,
      concurrency: 1,
      schedules: workerSchedules(config({ MOVIELENS_DIR: '/data/ml', TMDB_API_TOKEN: 'token' })),
    });
    try {
      const started = Date.now();
      let identifiers: string[] = [];
      while (Date.now() - started < 10_000) {
        const { rows } = await db.pool.query(`SELECT identifier FROM graphile_worker._private_known_crontabs ORDER BY 1`);
        identifiers = rows.map((row) => row.identifier);
        if (identifiers.length === 2) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(identifiers).toEqual(['import-movielens', 'import-tmdb']);
    } finally {
      await runner.stop();
    }
  });
});

/** A daily cron expression for the UTC minute `minutesAgo` minutes before now, e.g. `37 14 * * *`. */
function dailyCronMinutesAgo(minutesAgo: number): string {
  const at = new Date(Date.now() - minutesAgo * 60_000);
  return `${at.getUTCMinutes()} ${at.getUTCHours()} * * *`;
}

describe('a schedule, end to end through the worker', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('fires the import a worker missed while it was down: crontab -> scheduled-import -> import run -> movies', async () => {
    // The nightly IMDb import was due 5 minutes ago, while no worker ran (the crontab has been
    // known for 10 minutes). A worker starting now catches it up once, from the configuration alone.
    const imdb = SAMPLES.find((sample) => sample.provider === 'imdb')!.location as { basics: string; ratings: string };
    const configured = config({ IMDB_BASICS_URL: imdb.basics, IMDB_RATINGS_URL: imdb.ratings, SCHEDULE_IMDB: dailyCronMinutesAgo(5) });
    await db.pool.query(
      `INSERT INTO graphile_worker._private_known_crontabs (identifier, known_since) VALUES ('import-imdb', now() - interval '10 minutes')`,
    );
    const workerStarted = Date.now();
    const runner = await startWorker({ pool: db.pool, logger: silent, concurrency: 2, ...operationsWorkerOptions(configured, silent) });
    try {
      const started = Date.now();
      let runs: { trigger: string; status: string; source: unknown }[] = [];
      while (Date.now() - started < 30_000) {
        ({ rows: runs } = await db.pool.query(`SELECT trigger, status, source FROM import_runs ORDER BY id`));
        const pending = await db.pool.query(`SELECT count(*)::int AS n FROM graphile_worker.jobs`);
        if (runs.length && runs.every((run) => run.status === 'SUCCEEDED') && pending.rows[0].n === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(runs).toEqual([{ trigger: 'schedule', status: 'SUCCEEDED', source: { basics: imdb.basics, ratings: imdb.ratings } }]);
      const movies = await db.pool.query(`SELECT count(*)::int AS n, count(score_value)::int AS scored FROM movies`);
      expect(movies.rows[0].n).toBeGreaterThan(300);
      expect(movies.rows[0].scored).toBeGreaterThan(100);
      const { rows } = await db.pool.query(`SELECT last_execution FROM graphile_worker._private_known_crontabs WHERE identifier = 'import-imdb'`);
      // The firing caught up is the one due 5 minutes (rounded to the minute) before the worker
      // started, however long the import then took.
      expect(workerStarted - new Date(rows[0].last_execution).getTime()).toBeLessThan(6 * 60_000);
      // The task recorded the firing in MovieC's own table, which `moviec status` reads.
      const fired = await db.pool.query(`SELECT identifier, backfilled, last_fired_at FROM schedule_runs`);
      expect(fired.rows).toEqual([{ identifier: 'import-imdb', backfilled: true, last_fired_at: expect.any(Date) }]);
      expect(Math.abs(fired.rows[0].last_fired_at.getTime() - new Date(rows[0].last_execution).getTime())).toBeLessThan(60_000);
    } finally {
      await runner.stop();
    }
  });
});
