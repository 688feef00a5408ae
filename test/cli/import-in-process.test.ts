import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../src/logger.js';
import { startWorker, type Worker } from '../../src/workers/runner.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles } from '../support/imdb-files.js';
import { waitFor } from '../support/reliability.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The real `moviec` executable on the sources, as a child process in `cwd`, its output kept. */
function moviecProcess(env: Record<string, string>, cwd: string, ...args: string[]) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', path.join(ROOT, 'test/support/ts-register.mjs'), path.join(ROOT, 'test/support/moviec-source.mjs'), ...args],
    { cwd, env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

describe('moviec import runs its import in its own process', () => {
  let db: TestDatabase;
  let dir: string;
  let worker: Worker;
  const workerLog: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await tempDir();
    await writeFiles(dir, {
      'title.basics.tsv': basicsTsv([
        { tconst: 'tt0400001', title: 'Claimed Run', year: 2011, genres: ['Drama'] },
        { tconst: 'tt0400002', title: 'Second Claimed Run', year: 2012, genres: ['Comedy'] },
      ]),
    });
    await writeFiles(dir, { 'title.ratings.tsv': ratingsTsv([['tt0400001', 7.2, 1500], ['tt0400002', 6.4, 700]]) }, true);
    // A worker of "a server" on the same database, polling the queue all along.
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        workerLog.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        callback();
      },
    });
    worker = await startWorker({
      pool: db.pool, logger: createLogger('info', { format: 'json', destination }), concurrency: 2,
      recovery: { intervalMs: 250, graceMs: 500 },
    });
  });
  afterAll(async () => {
    await worker.stop();
    await db.drop();
  });

  it('a CLI import while a worker runs: claimed by the CLI, read there with its phases, never taken by the worker', async () => {
    // Relative paths from the folder the command runs in; the ratings are gzipped.
    const cli = moviecProcess(
      { DATABASE_URL: db.url, MOVIEC_FAULT_POINT: 'staging.batch-written@1' }, dir,
      'import', 'imdb', '--basics', 'title.basics.tsv', '--ratings', 'title.ratings.tsv.gz',
    );
    // Frozen in the middle of reading: the run's job is locked by the CLI, whose liveness connection
    // carries that id, so the worker (recovery every 250 ms, grace 500 ms) neither takes nor releases it.
    await waitFor(() => /fault point staging\.batch-written reached/.test(cli.stderr()) || cli.child.exitCode !== null, 120_000, 'the fault point');
    expect(cli.child.exitCode).toBeNull();
    const runId = /Import run (\d+) started \(imdb\)/.exec(cli.stdout())?.[1];
    expect(runId).toBeDefined();
    const { rows: [job] } = await db.pool.query<{ locked_by: string }>(
      `SELECT locked_by FROM graphile_worker.jobs WHERE key = $1`, [`ingest:${runId}`],
    );
    expect(job!.locked_by).toMatch(/^pool-cli-[0-9a-f-]{36}$/);
    const { rows: live } = await db.pool.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1`, [`moviec-worker ${job!.locked_by}`]);
    expect(live).toHaveLength(1);
    const { rows: [source] } = await db.pool.query<{ source: Record<string, string> }>('SELECT source FROM import_runs WHERE id = $1', [runId]);
    expect(source!.source).toEqual({ basics: path.join(dir, 'title.basics.tsv'), ratings: path.join(dir, 'title.ratings.tsv.gz') });

    cli.child.kill('SIGCONT');
    expect(await cli.exited).toBe(0);
    const lines = cli.stdout().trim().split('\n');
    expect(lines.at(-1)).toBe(`Import run ${runId} SUCCEEDED`);
    // Plain lines off a terminal, one at each phase as it happens, in order.
    const phases = lines.map((line) => new RegExp(`^run ${runId} (reading|merging|matching|aggregating)\\b`).exec(line)?.[1]).filter(Boolean);
    expect([...new Set(phases)]).toEqual(['reading', 'merging', 'matching', 'aggregating']);
    // Bytes read of each file and its percentage (of the compressed bytes for the gzipped ratings).
    const files = lines.filter((line) => line.startsWith(`run ${runId} reading: `) && line.includes('| file '));
    expect(files.map((line) => /\| (file \d): /.exec(line)?.[1])).toEqual(['file 1', 'file 2']);
    for (const line of files) expect(line).toMatch(/^run \d+ reading: \d+% \| file \d: [\d.]+ k?B\/[\d.]+ k?B \| /);

    const { rows: [run] } = await db.pool.query('SELECT status, trigger, rows_read FROM import_runs WHERE id = $1', [runId]);
    expect(run).toEqual({ status: 'SUCCEEDED', trigger: 'cli', rows_read: 4 });
    // The worker never ran the ingest (it logs every run it finishes), and the job is gone.
    expect(workerLog.filter((line) => line.includes(`import run ${runId}`))).toEqual([]);
    const { rows: left } = await db.pool.query(`SELECT 1 FROM graphile_worker.jobs WHERE key = $1`, [`ingest:${runId}`]);
    expect(left).toEqual([]);
  }, 180_000);

  it('a missing path is a usage error: exit 1, one line, no run recorded', async () => {
    const before = await db.pool.query('SELECT count(*)::int AS n FROM import_runs');
    const cli = moviecProcess({ DATABASE_URL: db.url }, dir, 'import', 'imdb', '--basics', 'nowhere.tsv', '--ratings', 'title.ratings.tsv.gz');
    expect(await cli.exited).toBe(1);
    expect(cli.stderr().trim()).toBe(`moviec import: --basics nowhere.tsv: no such file (looked for ${path.join(dir, 'nowhere.tsv')})`);
    expect(cli.stdout()).toBe('');
    const after = await db.pool.query('SELECT count(*)::int AS n FROM import_runs');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  }, 60_000);
});
