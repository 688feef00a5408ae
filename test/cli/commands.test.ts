import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { jest } from '@jest/globals';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { readPosterRecord } from '../../src/assets/records.js';
import { main } from '../../src/cli/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertMovie } from '../support/graphql-api.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles } from '../support/imdb-files.js';

// A 1x1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A daily cron expression for the UTC minute `minutesAgo` minutes before now, e.g. `37 14 * * *`. */
function dailyCronMinutesAgo(minutesAgo: number): string {
  const at = new Date(Date.now() - minutesAgo * 60_000);
  return `${at.getUTCMinutes()} ${at.getUTCHours()} * * *`;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * `moviec …args` in this process, through main() exactly as bin/moviec.js calls it, with the given
 * environment; console output captured. `serve` and `worker` run until `stop()` is called.
 */
function moviec(env: Record<string, string | undefined>, ...args: string[]) {
  const lines: string[] = [];
  const capture = (...parts: unknown[]) => void lines.push(parts.join(' '));
  const spies = [
    jest.spyOn(console, 'log').mockImplementation(capture),
    jest.spyOn(console, 'error').mockImplementation(capture),
    jest.spyOn(console, 'table').mockImplementation((rows: unknown) => void lines.push(JSON.stringify(rows))),
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    }),
  ];
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  process.exitCode = undefined;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const done = main(['node', 'moviec', ...args], { untilStopped: () => stopped }).then(() => {
    const code = Number(process.exitCode ?? 0);
    process.exitCode = undefined;
    return code;
  }).finally(() => {
    for (const spy of spies) spy.mockRestore();
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
  return { lines, stop, done, output: async () => ({ code: await done, lines }) };
}

/** The real `moviec` executable (bin/moviec.js's run() on the sources), as a child process. */
function moviecProcess(env: Record<string, string>, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', './test/support/ts-register.mjs', 'test/support/moviec-source.mjs', ...args],
      { env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

describe('moviec commands', () => {
  let db: TestDatabase;
  let images: Server;
  let imageOrigin: string;
  let files: Record<string, string>;
  let posterDir: string;
  let withPoster: string;
  // Posters come from a loopback server here: the test-only switch lets the mirror fetch them.
  const env = (extra: Record<string, string | undefined> = {}) => ({
    LOG_LEVEL: 'silent',
    DATABASE_URL: db.url,
    MOVIEC_TEST_POSTER_ADDRESSES: '127.0.0.1',
    ...extra,
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    images = createServer((req, res) => {
      if (req.url === '/poster.png') res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<html>not an image</html>');
    });
    imageOrigin = await listen(images);
    posterDir = path.join(await tempDir(), 'posters');
    files = await writeFiles(await tempDir(), {
      'basics.tsv': basicsTsv([{ tconst: 'tt0300001', title: 'Exit Code', year: 2012, genres: ['Thriller'] }]),
      'ratings.tsv': ratingsTsv([['tt0300001', 6.9, 800]]),
      'bad-ratings.tsv': `${ratingsTsv([['tt0300001', 6.9, 800]])}tt0300002\tseven\t10\n`,
      'not-imdb.tsv': 'hello\tworld\n1\t2\n',
    });
    withPoster = await insertMovie(db.pool, { title: 'Poster Movie', year: 2001, posterUrl: `${imageOrigin}/poster.png` });
  });
  afterAll(async () => {
    await new Promise((resolve) => images.close(resolve));
    await db.drop();
  });

  it('exit with the run status as a real process: 0 SUCCEEDED, 2 PARTIAL, 1 FAILED, 1 for bad usage', async () => {
    const processEnv = { DATABASE_URL: db.url };
    const [ok, partial, failed, usage, unknown] = await Promise.all([
      moviecProcess(processEnv, 'import', 'imdb', '--basics', files['basics.tsv']!, '--ratings', files['ratings.tsv']!),
      moviecProcess(processEnv, 'import', 'imdb', '--basics', files['basics.tsv']!, '--ratings', files['bad-ratings.tsv']!),
      moviecProcess(processEnv, 'import', 'imdb', '--basics', files['not-imdb.tsv']!, '--ratings', files['ratings.tsv']!),
      moviecProcess(processEnv, 'aggregate'),
      moviecProcess(processEnv, 'import', 'imbd'),
    ]);
    expect([ok.code, ok.stdout.trim().split('\n').at(-1)]).toEqual([0, expect.stringMatching(/^Import run \d+ SUCCEEDED$/)]);
    expect([partial.code, partial.stdout.trim().split('\n').at(-1)]).toEqual([2, expect.stringMatching(/^Import run \d+ PARTIAL$/)]);
    expect(partial.stdout).toMatch(/Rejected rows are listed by: moviec status --run \d+/);
    expect(failed.code).toBe(1);
    expect([failed.stdout.trim().split('\n').at(-1), failed.stderr]).toEqual([
      expect.stringMatching(/^Import run \d+ FAILED$/), expect.stringMatching(/^Error: .*not-imdb\.tsv/),
    ]);
    expect([usage.code, usage.stderr.trim()]).toEqual([1, 'give --all or --movie ID']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("error: unknown command 'imbd'");
  });

  it('serve on a port already in use, --version and --help: one clear line each, as a real process', async () => {
    const taken = createServer();
    const port = await listen(taken).then((url) => new URL(url).port);
    try {
      const busy = await moviecProcess({ DATABASE_URL: db.url, PORT: port, HOST: '127.0.0.1' }, 'serve');
      expect([busy.code, busy.stderr.trim().split('\n')]).toEqual([
        1, [`moviec: port ${port} on 127.0.0.1 is already in use (another MovieC or another server): stop it or set PORT to a free port`],
      ]);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
    const version = await moviecProcess({}, '--version');
    expect([version.code, version.stdout.trim()]).toEqual([0, expect.stringMatching(/^\d+\.\d+\.\d+$/)]);
    const help = await moviecProcess({}, '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: moviec \[options\] \[command\]/);
    expect(help.stdout).toContain('-V, --version');
  });

  it('worker: imports what is dropped in INBOX_DIR and runs the configured schedules (a missed poster mirror)', async () => {
    const inboxDir = path.join(await tempDir(), 'inbox');
    await mkdir(inboxDir);
    await db.pool.query(
      `INSERT INTO graphile_worker._private_known_crontabs (identifier, known_since) VALUES ('mirror-posters', now() - interval '10 minutes')`,
    );
    const worker = moviec(env({
      INBOX_DIR: inboxDir, INBOX_POLL_MS: '50', INBOX_SETTLE_MS: '100',
      POSTER_MIRROR: 'local', POSTER_DIR: posterDir, SCHEDULE_POSTERS: dailyCronMinutesAgo(5),
      MOVIELENS_DIR: path.resolve('data/sample/movielens'),
    }), 'worker');
    try {
      await writeFile(path.join(inboxDir, 'title.basics.tsv'), basicsTsv([{ tconst: 'tt0300010', title: 'Dropped In', year: 2015, genres: ['Comedy'] }]));
      await writeFile(path.join(inboxDir, 'title.ratings.tsv'), ratingsTsv([['tt0300010', 7.1, 2500]]));
      const processed = await until('the inbox to process the pair', async () => {
        const names = await readdir(path.join(inboxDir, 'processed')).catch(() => []);
        return names.length === 2 ? names.sort() : null;
      });
      const runId = /^run-(\d+)-title\.basics\.tsv$/.exec(processed[0]!)?.[1];
      expect(processed).toEqual([`run-${runId}-title.basics.tsv`, `run-${runId}-title.ratings.tsv`]);
      const { rows: runs } = await db.pool.query('SELECT provider_key, trigger, status FROM import_runs WHERE id = $1', [runId]);
      expect(runs).toEqual([{ provider_key: 'imdb', trigger: 'inbox', status: 'SUCCEEDED' }]);
      await until('the movie to be aggregated', async () =>
        (await db.pool.query(`SELECT 1 FROM movies WHERE imdb_id = 'tt0300010' AND score_value IS NOT NULL`)).rowCount);

      const record = await until('the scheduled poster mirror', () => readPosterRecord(posterDir, withPoster));
      expect(record).toMatchObject({ source: `${imageOrigin}/poster.png`, url: expect.stringMatching(/^\/assets\/posters\//) });
      const { rows: crontab } = await db.pool.query(
        `SELECT identifier, last_execution IS NOT NULL AS fired FROM graphile_worker._private_known_crontabs ORDER BY identifier`,
      );
      expect(crontab).toEqual([{ identifier: 'import-movielens', fired: false }, { identifier: 'mirror-posters', fired: true }]);
    } finally {
      worker.stop();
    }
    expect(await worker.done).toBe(0);
  });

  it('serve: the website, GraphQL and mirrored posters under /assets on PORT', async () => {
    const serve = moviec(env({ PORT: '0', HOST: '127.0.0.1', POSTER_MIRROR: 'local', POSTER_DIR: posterDir }), 'serve');
    try {
      const line = await until('the API to listen', () => Promise.resolve(serve.lines.find((l) => l.startsWith('MovieC API ready at '))));
      const graphqlUrl = line.replace('MovieC API ready at ', '');
      const origin = new URL(graphqlUrl).origin;

      const home = await fetch(`${origin}/`);
      expect(home.status).toBe(200);
      expect(home.headers.get('content-type')).toContain('text/html');
      expect(home.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(await home.text()).toContain('<form id="search" role="search"');
      expect((await fetch(`${origin}/static/app.js`)).headers.get('content-type')).toContain('javascript');

      const answer = await fetch(graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ movies(orderBy: TITLE_ASC) { edges { node { title posterUrl } } } }' }),
      });
      const titles = ((await answer.json()) as { data: { movies: { edges: { node: { title: string } }[] } } }).data.movies.edges.map((e) => e.node.title);
      expect(titles).toEqual(expect.arrayContaining(['Dropped In', 'Exit Code', 'Poster Movie']));

      const extras = (await (await fetch(`${origin}/movies/${withPoster}/provenance`)).json()) as { poster: { url: string; mirrored: boolean } };
      expect(extras.poster).toEqual({ url: expect.stringMatching(/^\/assets\/posters\/.+\.png$/), mirrored: true });
      const poster = await fetch(`${origin}${extras.poster.url}`);
      expect([poster.status, poster.headers.get('content-type')]).toEqual([200, 'image/png']);
      expect(Buffer.from(await poster.arrayBuffer()).equals(PNG)).toBe(true);
    } finally {
      serve.stop();
    }
    expect(await serve.done).toBe(0);
  });

  it('mirror-posters: copies posters now, says how many, exits 2 when some failed, 1 when the mirror is off', async () => {
    const off = await moviec(env({ POSTER_MIRROR: undefined }), 'mirror-posters').output();
    expect(off).toEqual({ code: 1, lines: ['POSTER_MIRROR is off: set it to local or s3 (see the README, Posters)'] });

    const dir = path.join(await tempDir(), 'posters');
    const first = await moviec(env({ POSTER_MIRROR: 'local', POSTER_DIR: dir }), 'mirror-posters').output();
    expect(first).toEqual({ code: 0, lines: ['Posters: 1 mirrored, 0 unchanged, 0 failed.'] });
    expect((await readdir(path.join(dir, 'images'), { recursive: true })).filter((name) => name.endsWith('.png'))).toHaveLength(1);

    const broken = await insertMovie(db.pool, { title: 'Broken Poster', posterUrl: `${imageOrigin}/page.html` });
    const second = await moviec(env({ POSTER_MIRROR: 'local', POSTER_DIR: dir }), 'mirror-posters').output();
    expect(second).toEqual({ code: 2, lines: ['Posters: 0 mirrored, 1 unchanged, 1 failed.'] });
    expect(await readPosterRecord(dir, broken)).toMatchObject({ error: 'not an accepted image type: "text/html"' });
  });

  it('status: runs with their trigger, schedules, and clear errors for a bad option', async () => {
    const { code, lines } = await moviec(env({ MOVIELENS_DIR: '/data/ml' }), 'status').output();
    expect(code).toBe(0);
    const text = lines.join('\n');
    expect(text).toMatch(/Recent import runs\nid\s+provider\s+trigger\s+status/);
    expect(text).toMatch(/\n\d+\s+imdb\s+inbox\s+SUCCEEDED\s/);
    expect(text).toMatch(/\n\d+\s+imdb\s+cli\s+PARTIAL\s/);
    expect(text).toMatch(/Job queue/);
    expect(text).toMatch(/Schedules \(UTC\)\nschedule\s+cron\s+last fired\s+why\n[- ]+\nimport-movielens\s+0 3 \* \* \*\s+default: nightly/);

    const bad = await moviec(env(), 'status', '--limit', '0').output();
    expect(bad.code).toBe(1);
    expect(bad.lines.join('')).toContain("error: option '--limit <n>' argument '0' is invalid. expected a positive whole number");
  });
});

describe('moviec import tmdb --since and --max-pages, against a mocked TMDB', () => {
  const BASE = 'http://tmdb.test';
  const requests: string[] = [];
  const movie = (id: number, title: string) => ({
    id, imdb_id: `tt${String(8_100_000 + id)}`, title, original_title: title, release_date: '2019-03-01', runtime: 101,
    genres: [{ id: 18, name: 'Drama' }], vote_average: 7.2, vote_count: 900, adult: false, poster_path: `/p${id}.jpg`,
    external_ids: { imdb_id: `tt${String(8_100_000 + id)}` },
  });
  const movies = new Map([[1, movie(1, 'Popular One')], [2, movie(2, 'Popular Two')], [3, movie(3, 'Changed Three')]]);
  const mock = setupServer(
    http.get(`${BASE}/3/discover/movie`, ({ request }) => {
      const url = new URL(request.url);
      requests.push(`discover page ${url.searchParams.get('page')}`);
      const page = Number(url.searchParams.get('page') ?? 1);
      return HttpResponse.json({ page, results: [{ id: page }], total_pages: 2, total_results: 2 });
    }),
    http.get(`${BASE}/3/movie/changes`, ({ request }) => {
      const url = new URL(request.url);
      requests.push(`changes ${url.searchParams.get('start_date')}..${url.searchParams.get('end_date')}`);
      return HttpResponse.json({ page: 1, results: [{ id: 3, adult: false }], total_pages: 1, total_results: 1 });
    }),
    http.get(`${BASE}/3/movie/:id`, ({ params }) => {
      requests.push(`movie ${String(params.id)}`);
      const doc = movies.get(Number(params.id));
      return doc ? HttpResponse.json(doc) : HttpResponse.json({ status_code: 34 }, { status: 404 });
    }),
  );
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    mock.listen({ onUnhandledRequest: 'bypass' });
  });
  afterAll(async () => {
    mock.close();
    await db.drop();
  });

  const tmdbEnv = (db: TestDatabase) => ({ LOG_LEVEL: 'silent', DATABASE_URL: db.url, TMDB_API_TOKEN: 'token-for-tests', TMDB_BASE_URL: BASE });

  it('--max-pages 1 reads one page of popular movies on the first import', async () => {
    const { code, lines } = await moviec(tmdbEnv(db), 'import', 'tmdb', '--max-pages', '1').output();
    expect([code, lines.at(-1)]).toEqual([0, expect.stringMatching(/^Import run \d+ SUCCEEDED$/)]);
    expect(requests.splice(0)).toEqual(['discover page 1', 'movie 1']);
  });

  it('--since DATE reads the changes from that day to today', async () => {
    const since = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
    const today = new Date().toISOString().slice(0, 10);
    const { code, lines } = await moviec(tmdbEnv(db), 'import', 'tmdb', '--since', since).output();
    expect([code, lines.at(-1)]).toEqual([0, expect.stringMatching(/^Import run \d+ SUCCEEDED$/)]);
    expect(requests.splice(0)).toEqual([`changes ${since}..${today}`, 'movie 3']);
    const { rows } = await db.pool.query(`SELECT title FROM movies ORDER BY title`);
    expect(rows.map((row) => row.title)).toEqual(['Changed Three', 'Popular One']);
  });

  it('a bad --max-pages is refused before anything is queued', async () => {
    const { code, lines } = await moviec(tmdbEnv(db), 'import', 'tmdb', '--max-pages', '0').output();
    expect(code).toBe(1);
    expect(lines).toEqual(['TMDB --max-pages must be a whole number from 1 to 500, found "0"']);
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM import_runs`)).rows[0].n).toBe(2);
  });
});
