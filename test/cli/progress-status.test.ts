import { Writable } from 'node:stream';
import { jest } from '@jest/globals';
import { ImportProgress } from '../../src/cli/progress.js';
import { printStatus, printUnmatched } from '../../src/cli/status.js';
import { formatTable } from '../../src/cli/table.js';
import { formatBytes, formatDuration } from '../../src/cli/units.js';
import type { RunState } from '../../src/cli/wait.js';
import { loadConfig } from '../../src/config.js';
import { printSchedules } from '../../src/cli/schedules.js';
import { reportInputProgress } from '../../src/workers/import-progress.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { runJobsOnce } from '../support/jobs.js';

const run = (status: RunState['status'], rowsRead: number): RunState => ({
  id: '5', status, rows_read: rowsRead, rows_changed: 0, rows_rejected: 0, movies_queued: 0, error: null,
});

/** A progress display on a fake clock, printing plain lines into an array. */
function plainProgress(runId = '5') {
  const lines: string[] = [];
  let now = 0;
  const progress = new ImportProgress(runId, { interactive: false, print: (line) => lines.push(line), now: () => now, plainEveryMs: 1000 });
  return { progress, lines, at: (ms: number) => void (now = ms) };
}

describe('import progress', () => {
  it('prints plain lines off a terminal: rows and their rate, then the aggregation left', () => {
    const { progress, lines, at } = plainProgress();
    progress.onRun(run('QUEUED', 0));
    at(500);
    progress.onRun(run('RUNNING', 0));
    at(1000);
    progress.onRun(run('RUNNING', 0)); // same phase within plainEveryMs: no line
    at(2500);
    progress.onRun(run('RUNNING', 10_000));
    at(3000);
    progress.onAggregation(40);
    at(5000);
    progress.onAggregation(10);
    progress.stop();
    expect(lines).toEqual([
      'run 5: queued, waiting for a worker',
      'run 5 reading: 0 rows | 0:01 elapsed',
      'run 5 reading: 10,000 rows | 5,000 rows/s | 0:03 elapsed',
      'run 5 aggregating: 0% | 0/40 jobs',
      'run 5 aggregating: 75% | 30/40 jobs | ETA 0:01',
    ]);
  });

  it('shows the file size, percentage and an ETA when this process reads a file of known size', () => {
    const { progress, at } = plainProgress('6');
    at(0);
    reportInputProgress('6', 0, 4_000_000);
    at(2000);
    reportInputProgress('6', 1_000_000, 4_000_000);
    progress.onRun({ ...run('RUNNING', 50_000), id: '6' });
    expect(progress.view()).toEqual({
      label: 'run 6 reading',
      fraction: 0.25,
      detail: 'file 1: 1.0 MB/4.0 MB | 500.0 kB/s | 50,000 rows | ETA 0:06',
    });
    at(3000);
    reportInputProgress('6', 100, 1_000); // the next file of the run starts from 0
    expect(progress.view().detail).toMatch(/^file 2: 100 B\/1.0 kB/);
    progress.stop();
    reportInputProgress('6', 500, 1_000);
    expect(progress.view().detail).toMatch(/^file 2: 100 B/); // no longer listening
  });

  it('draws a bar on a terminal', async () => {
    let output = '';
    const terminal = Object.assign(
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          output += chunk.toString('utf8');
          callback();
        },
      }),
      { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true },
    );
    let now = 0;
    const progress = new ImportProgress('7', { stream: terminal, now: () => now });
    expect(progress.interactive).toBe(true);
    progress.onAggregation(20);
    now = 2000;
    progress.onAggregation(5);
    await new Promise((resolve) => setTimeout(resolve, 300));
    progress.stop();
    expect(output).toContain('run 7 aggregating');
    expect(output).toMatch(/[█░]{24}\s+75% \| 15\/20 jobs \| ETA 0:01/);
  });

  it('formats sizes and durations for people', () => {
    expect([formatBytes(512), formatBytes(1_234_567), formatBytes(9.9e9)]).toEqual(['512 B', '1.2 MB', '9.9 GB']);
    expect([formatDuration(5), formatDuration(65), formatDuration(3725)]).toEqual(['0:05', '1:05', '1:02:05']);
  });
});

describe('moviec status', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  async function output(action: () => Promise<void>): Promise<string> {
    const lines: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' ')));
    try {
      await action();
    } finally {
      log.mockRestore();
    }
    return lines.join('\n');
  }

  it('prints aligned tables, numbers to the right', () => {
    expect(formatTable([{ provider: 'imdb', total: 1200, note: null }, { provider: 'movielens', total: 7, note: 'a\nb' }])).toBe(
      [
        'provider   total  note',
        '---------  -----  ----',
        'imdb        1200',
        'movielens      7  a b',
      ].join('\n'),
    );
  });

  it('lists recent runs, the queue, failing jobs with their last error, and the match report', async () => {
    await db.pool.query(
      `INSERT INTO import_runs (provider_key, trigger, source, status, rows_read, rows_changed, started_at, finished_at)
       VALUES ('imdb', 'schedule', '{}', 'SUCCEEDED', 1200, 40, now(), now())`,
    );
    await db.pool.query(`SELECT graphile_worker.add_job('explode', '{}', max_attempts => 1)`);
    await runJobsOnce(db.pool, { explode: () => Promise.reject(new Error('disk full\nmore detail on a second line')) });
    const text = await output(() => printStatus(db.pool));
    expect(text).toContain('Recent import runs\nid  provider  trigger   status     read  changed  rejected  started');
    expect(text).toMatch(/\n1\s+imdb\s+schedule\s+SUCCEEDED\s+1200\s+40\s+0\s+\d{4}-/);
    expect(text).toMatch(/Failing jobs\nid\s+task\s+attempts\s+next attempt\s+key\s+last error\n[- ]+\n\d+\s+explode\s+1\/1\s+gave up\s+.*disk full\n/);
    expect(text).not.toContain('more detail on a second line');
    expect(text).toContain('Match report: no provider records yet');
  });

  it('lists rows without a movie as a table, with the reason', async () => {
    await db.pool.query(
      `INSERT INTO provider_records (provider_key, external_id, payload, content_hash, title, year, match_status, match_reason)
       VALUES ('rottentomatoes', 'm/lonely', '{}', 'h', 'Lonely Film', 1999, 'UNMATCHED', 'no movie with this title and year')`,
    );
    const text = await output(() => printUnmatched(db.pool, 'rottentomatoes', 10));
    expect(text).toMatch(
      /^Rows without a movie \(at most 10\)\nprovider\s+id\s+title\s+year\s+status\s+reason\n[- ]+\nrottentomatoes\s+m\/lonely\s+Lonely Film\s+1999\s+UNMATCHED\s+no movie with this title and year\n/,
    );
    expect(await output(() => printUnmatched(db.pool, 'imdb', 10))).toBe('Every row is matched to a movie.');
  });

  it('lists the configured schedules', async () => {
    const text = await output(() => printSchedules(db.pool, loadConfig({ MOVIELENS_DIR: '/data/ml', SCHEDULE_MOVIELENS: '0 5 * * *' })));
    expect(text).toMatch(/Schedules \(UTC\)\nschedule\s+cron\s+last fired\s+why\n[- ]+\nimport-movielens\s+0 5 \* \* \*\s+SCHEDULE_MOVIELENS/);
  });

  it('shows when each schedule last fired, from schedule_runs', async () => {
    await db.pool.query(
      `INSERT INTO schedule_runs (identifier, last_fired_at, last_job_id) VALUES ('import-movielens', '2026-11-29T05:00:00Z', '1')`,
    );
    const text = await output(() => printSchedules(db.pool, loadConfig({ MOVIELENS_DIR: '/data/ml', SCHEDULE_MOVIELENS: '0 5 * * *' })));
    expect(text).toMatch(/\nimport-movielens\s+0 5 \* \* \*\s+2026-11-29 05:00\s+SCHEDULE_MOVIELENS/);
  });
});
