import { jest } from '@jest/globals';
import path from 'node:path';
import { buildFullCli, EXIT, main } from '../../src/cli/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles } from '../support/imdb-files.js';

/** Runs `moviec ...args` in-process against the test database; returns exit code and output. */
async function moviec(db: TestDatabase, ...args: string[]) {
  const lines: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' ')));
  const error = jest.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' ')));
  const table = jest.spyOn(console, 'table').mockImplementation((rows: unknown) => void lines.push(JSON.stringify(rows)));
  const env = { DATABASE_URL: process.env.DATABASE_URL, LOG_LEVEL: process.env.LOG_LEVEL };
  process.env.DATABASE_URL = db.url;
  process.env.LOG_LEVEL = 'silent';
  process.exitCode = undefined;
  try {
    await (await buildFullCli()).exitOverride().parseAsync(['node', 'moviec', ...args]);
    return { code: Number(process.exitCode ?? 0), lines };
  } finally {
    process.exitCode = undefined;
    Object.assign(process.env, env);
    if (env.DATABASE_URL === undefined) delete process.env.DATABASE_URL;
    if (env.LOG_LEVEL === undefined) delete process.env.LOG_LEVEL;
    log.mockRestore();
    error.mockRestore();
    table.mockRestore();
  }
}

/** Runs `moviec ...args` through main(), as the executable does: errors become one line and an exit code. */
async function moviecMain(db: TestDatabase, ...args: string[]) {
  const lines: string[] = [];
  const capture = (...parts: unknown[]) => void lines.push(parts.join(' ').trimEnd());
  const log = jest.spyOn(console, 'log').mockImplementation(capture);
  const error = jest.spyOn(console, 'error').mockImplementation(capture);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(line.trimEnd());
    return true;
  });
  const env = { DATABASE_URL: process.env.DATABASE_URL, LOG_LEVEL: process.env.LOG_LEVEL };
  process.env.DATABASE_URL = db.url;
  process.env.LOG_LEVEL = 'silent';
  process.exitCode = undefined;
  try {
    await main(['node', 'moviec', ...args]);
    return { code: Number(process.exitCode ?? 0), lines };
  } finally {
    process.exitCode = undefined;
    Object.assign(process.env, env);
    if (env.DATABASE_URL === undefined) delete process.env.DATABASE_URL;
    if (env.LOG_LEVEL === undefined) delete process.env.LOG_LEVEL;
    log.mockRestore();
    error.mockRestore();
    stderr.mockRestore();
  }
}

describe('moviec CLI', () => {
  let db: TestDatabase;
  let files: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    files = await writeFiles(await tempDir(), {
      'basics.tsv': basicsTsv([
        { tconst: 'tt0100001', title: 'Northern Lights', year: 2003, genres: ['Drama'] },
        { tconst: 'tt0100002', title: 'Southern Cross', year: 2004, genres: ['Western'] },
      ]),
      'ratings.tsv': ratingsTsv([['tt0100001', 7.7, 4000], ['tt0100002', 6.1, 300]]),
      'bad-ratings.tsv': ratingsTsv([['tt0100001', 7.7, 4000]]) + 'tt0100002\tseven\t300\n',
      'not-imdb.tsv': 'hello\tworld\n1\t2\n',
    });
  });
  afterAll(() => db.drop());

  it('migrate reports an up-to-date database', async () => {
    const { code, lines } = await moviec(db, 'migrate');
    expect(code).toBe(0);
    expect(lines.at(-1)).toMatch(/^Database is up to date \(\d+ migrations? applied\)\.$/);
  });

  it('import imdb waits for the run and its aggregation, and says SUCCEEDED', async () => {
    const { code, lines } = await moviec(db, 'import', 'imdb', '--basics', files['basics.tsv']!, '--ratings', files['ratings.tsv']!);
    expect(lines.at(-1)).toMatch(/^Import run \d+ SUCCEEDED$/);
    expect(code).toBe(EXIT.SUCCEEDED);
    const { rows } = await db.pool.query('SELECT title, score_value FROM movies ORDER BY title');
    expect(rows).toEqual([
      // The import ends after the scoring refit it caused: C = (74.44 + 56.67) / 2 = 65.56 and
      // m = max(1,000, median votes 2,150). 4,000/6,150·74.44 + 2,150/6,150·65.56 = 71.34;
      // 300/2,450·56.67 + 2,150/2,450·65.56 = 64.47 (one decimal).
      { title: 'Northern Lights', score_value: 71.3 },
      { title: 'Southern Cross', score_value: 64.5 },
    ]);
  });

  it('import imdb with rejected rows exits with the PARTIAL code', async () => {
    const { code, lines } = await moviec(db, 'import', 'imdb', '--basics', files['basics.tsv']!, '--ratings', files['bad-ratings.tsv']!);
    expect(lines.at(-1)).toMatch(/^Import run \d+ PARTIAL$/);
    expect(code).toBe(EXIT.PARTIAL);
  });

  it('import imdb of a file that is not an IMDb file fails the run with the reason', async () => {
    const { code, lines } = await moviec(db, 'import', 'imdb', '--basics', files['not-imdb.tsv']!, '--ratings', files['ratings.tsv']!);
    expect(code).toBe(EXIT.FAILED);
    expect(lines.find((line) => line.startsWith('Error: '))).toMatch(/not-imdb\.tsv/);
    expect(lines.at(-1)).toMatch(/^Import run \d+ FAILED$/);
  });

  it('a missing file, folder or bad id is a usage error: one line, exit 1, no run recorded', async () => {
    const { rows: before } = await db.pool.query('SELECT count(*)::int AS n FROM import_runs');
    const cases: [string[], RegExp][] = [
      [['import', 'imdb', '--basics', 'nowhere/basics.tsv', '--ratings', files['ratings.tsv']!],
        /^moviec import: --basics nowhere\/basics\.tsv: no such file \(looked for \/.+\/nowhere\/basics\.tsv\)$/],
      [['import', 'movielens', '--dir', path.dirname(files['ratings.tsv']!)], /^moviec import: --dir .+: movies\.csv is missing \(the folder needs movies\.csv, links\.csv, ratings\.csv\)$/],
      [['import', 'rottentomatoes', '--file', path.dirname(files['ratings.tsv']!)], /^moviec import: --file .+: not a file$/],
      [['status', '--run', '999'], /^moviec status: no import run 999 \(`moviec status` lists the recent runs\)$/],
      [['status', '--run', 'abc'], /^error: option '--run <id>' argument 'abc' is invalid\. expected an import run id/],
      [['status', '--unmatched', '--provider', 'imbd'], /^error: option '--provider <key>' argument 'imbd' is invalid\. Unknown provider "imbd"; known: imdb, /],
      [['aggregate', '--movie', '00000000-0000-4000-8000-000000000000'], /^moviec aggregate: no movie with id 00000000-0000-4000-8000-000000000000/],
      [['aggregate', '--movie', 'abc'], /^error: option '--movie <id>' argument 'abc' is invalid\. expected a movie id/],
    ];
    for (const [args, message] of cases) {
      const { code, lines } = await moviecMain(db, ...args);
      expect({ args, code, lines }).toEqual({ args, code: 1, lines: [expect.stringMatching(message)] });
    }
    const { rows: after } = await db.pool.query('SELECT count(*)::int AS n FROM import_runs');
    expect(after[0].n).toBe(before[0].n);
  });

  it('import --no-wait only queues the run', async () => {
    const { code, lines } = await moviec(db, 'import', 'imdb', '--basics', files['basics.tsv']!, '--ratings', files['ratings.tsv']!, '--no-wait');
    expect(code).toBe(0);
    expect(lines.at(-1)).toMatch(/^Import run (\d+) queued \(imdb\)\.$/);
    const runId = /run (\d+)/.exec(lines.at(-1)!)![1];
    const { rows } = await db.pool.query('SELECT status FROM import_runs WHERE id = $1', [runId]);
    expect(rows[0].status).toBe('QUEUED');
  });

  it('aggregate --all and --movie recompute and report counts', async () => {
    await db.pool.query(`UPDATE movies SET aggregate_hash = NULL`);
    const all = await moviec(db, 'aggregate', '--all');
    expect(all.lines.at(-1)).toBe('2 movies aggregated, 2 changed.');
    // The ratings did not change since the import's own refit: the fit in force is kept.
    expect(all.lines).toContainEqual(expect.stringMatching(/^Scoring fit \d+ kept: the ratings give the same priors and calibrations\.$/));
    const { rows } = await db.pool.query('SELECT id FROM movies LIMIT 1');
    const one = await moviec(db, 'aggregate', '--movie', rows[0].id);
    expect(one.lines.at(-1)).toBe('1 movie aggregated, 0 changed.');
  });

  it('status --run lists the rejected rows of a run, --unmatched the rows without a movie', async () => {
    const { rows } = await db.pool.query(`SELECT id FROM import_runs WHERE status = 'PARTIAL' LIMIT 1`);
    const errors = await moviec(db, 'status', '--run', rows[0].id);
    expect(errors.lines[0]).toBe(`Rejected rows of run ${rows[0].id} (at most 50)`);
    expect(errors.lines[1]).toMatch(/^line\s+reference\s+reason\s+excerpt\n[- ]+\n\s*3\s+tt0100002\s+averageRating must be a number from 1 to 10, found "seven"\s+tt0100002 seven 300/);
    const unmatched = await moviec(db, 'status', '--unmatched');
    expect(unmatched.lines).toEqual(['Every row is matched to a movie.']);
  });

  it('status lists runs, the queue and the match report', async () => {
    const { code, lines } = await moviec(db, 'status');
    expect(code).toBe(0);
    expect(lines).toContain('Match report');
    expect(lines.join('\n')).toMatch(/Match report\nprovider\s+total\s+matched\s+unmatched\s+unmatched %\n[- ]+\nimdb\s+2\s+2\s+0\s+0\n/);
  });
});
