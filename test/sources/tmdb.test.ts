import { jest } from '@jest/globals';
import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { loadConfig } from '../../src/config.js';
import { buildFullCli, EXIT } from '../../src/cli/index.js';
import { retryDelay } from '../../src/sources/tmdb-client.js';
import { addDays, changeWindows } from '../../src/sources/tmdb-listing.js';
import { parseMovie } from '../../src/sources/tmdb-movie.js';
import { parseTmdbLocation, planRun, tmdbAdapter } from '../../src/sources/tmdb.js';
import { type ReadContext, type SourceItem, type SourceLocation } from '../../src/sources/types.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { drainJobs, queueImport } from '../support/pipeline.js';
import { SourceError } from '../../src/errors.js';

/** A fake TMDB under a path prefix, to prove the base URL is honoured as a whole. */
const BASE = 'http://tmdb.test/proxy';
const TOKEN = 'test-token-123';
/** Tiny retry delays and timeouts, so failing attempts cost milliseconds. */
const FAST = { retryDelayMs: '1', timeoutMs: '300' };
const today = () => new Date().toISOString().slice(0, 10);

type Doc = Record<string, unknown>;

function movieDoc(id: number, title: string, extra: Doc = {}): Doc {
  return {
    adult: false,
    id,
    imdb_id: `tt${String(9_000_000 + id).padStart(7, '0')}`,
    title,
    original_title: title,
    overview: `About ${title}.`,
    poster_path: `/poster${id}.jpg`,
    release_date: '2010-07-16',
    runtime: 120,
    genres: [{ id: 18, name: 'Drama' }],
    vote_average: 7.5,
    vote_count: 1000,
    popularity: 50 - id,
    external_ids: { imdb_id: `tt${String(9_000_000 + id).padStart(7, '0')}`, wikidata_id: null },
    ...extra,
  };
}

/** What the fake TMDB serves; tests replace parts of it. */
const tmdb = {
  movies: new Map<number, Doc>(),
  popular: [] as number[],
  changes: [] as { id: number; date: string }[],
  pageSize: 2,
  requests: [] as { path: string; query: Record<string, string>; auth: string | null; at: number }[],
};

function resetTmdb() {
  tmdb.movies = new Map();
  tmdb.popular = [];
  tmdb.changes = [];
  tmdb.pageSize = 2;
  tmdb.requests = [];
}

const requestsTo = (path: string) => tmdb.requests.filter((r) => r.path === path);

function log(request: Request) {
  const url = new URL(request.url);
  tmdb.requests.push({
    path: url.pathname.replace('/proxy', ''),
    query: Object.fromEntries(url.searchParams),
    auth: request.headers.get('authorization'),
    at: Date.now(),
  });
  return url;
}

const unauthorized = () =>
  HttpResponse.json({ success: false, status_code: 7, status_message: 'Invalid API key: You must be granted a valid key.' }, { status: 401 });

function page(ids: number[], url: URL) {
  const n = Number(url.searchParams.get('page') ?? '1');
  const totalPages = Math.ceil(ids.length / tmdb.pageSize);
  const results = ids.slice((n - 1) * tmdb.pageSize, n * tmdb.pageSize).map((id) => ({ id, adult: false }));
  return HttpResponse.json({ page: n, results, total_pages: totalPages, total_results: ids.length });
}

const handlers = [
  http.get(`${BASE}/3/discover/movie`, ({ request }) => {
    const url = log(request);
    if (request.headers.get('authorization') !== `Bearer ${TOKEN}`) return unauthorized();
    return page(tmdb.popular, url);
  }),
  http.get(`${BASE}/3/movie/changes`, ({ request }) => {
    const url = log(request);
    if (request.headers.get('authorization') !== `Bearer ${TOKEN}`) return unauthorized();
    const start = url.searchParams.get('start_date')!;
    const end = url.searchParams.get('end_date')!;
    return page(tmdb.changes.filter((c) => c.date >= start && c.date <= end).map((c) => c.id), url);
  }),
  http.get(`${BASE}/3/movie/:id`, ({ request, params }) => {
    log(request);
    if (request.headers.get('authorization') !== `Bearer ${TOKEN}`) return unauthorized();
    const doc = tmdb.movies.get(Number(params.id));
    if (!doc) {
      return HttpResponse.json(
        { success: false, status_code: 34, status_message: 'The resource you requested could not be found.' },
        { status: 404 },
      );
    }
    return HttpResponse.json(doc);
  }),
];

const server = setupServer(...handlers);
const savedEnv = { token: process.env.TMDB_API_TOKEN, base: process.env.TMDB_BASE_URL };

beforeAll(() => {
  server.listen({ onUnhandledRequest: 'error' });
  process.env.TMDB_API_TOKEN = TOKEN;
  process.env.TMDB_BASE_URL = BASE;
});
beforeEach(() => resetTmdb());
afterEach(() => {
  server.resetHandlers();
  process.env.TMDB_API_TOKEN = TOKEN;
});
afterAll(() => {
  server.close();
  for (const [key, value] of [['TMDB_API_TOKEN', savedEnv.token], ['TMDB_BASE_URL', savedEnv.base]] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

async function readAll(location: SourceLocation, context: ReadContext = {}): Promise<SourceItem[]> {
  const items: SourceItem[] = [];
  // The configuration as an entry point reads it, from the environment the test set up.
  for await (const item of tmdbAdapter.read(location, { config: loadConfig(), ...context })) items.push(item);
  return items;
}

const records = (items: SourceItem[]) =>
  items.flatMap((i) => (i.type === 'record' ? [i.record] : [])).sort((a, b) => Number(a.externalId) - Number(b.externalId));
const rejects = (items: SourceItem[]) =>
  items.flatMap((i) => (i.type === 'reject' ? [i] : [])).sort((a, b) => Number(a.reference) - Number(b.reference));

function addMovies(...docs: Doc[]) {
  for (const doc of docs) tmdb.movies.set(doc.id as number, doc);
}

describe('TMDB movie documents', () => {
  it('maps a details document onto a record', () => {
    const doc = movieDoc(27205, 'Inception', {
      original_title: 'Inception',
      genres: [{ id: 28, name: 'Action' }, { id: 878, name: 'Science Fiction' }],
      vote_average: 8.369,
      vote_count: 37_000,
      runtime: 148,
      imdb_id: 'tt1375666',
    });
    const item = parseMovie(doc, 27205);
    expect(item).toEqual({
      type: 'record',
      record: {
        externalId: '27205',
        title: 'Inception',
        originalTitle: 'Inception',
        year: 2010,
        releaseDate: '2010-07-16',
        runtimeMinutes: 148,
        genres: ['Action', 'Science Fiction'],
        ratings: [{ kind: 'users', value: 8.369, votes: 37_000 }],
        imdbId: 'tt1375666',
        tmdbId: '27205',
        overview: 'About Inception.',
        posterUrl: 'https://image.tmdb.org/t/p/w500/poster27205.jpg',
        isAdult: false,
        payload: doc,
      },
    });
  });

  it('leaves out what TMDB does not know: no votes, empty date, runtime 0, bad imdb id, no poster', () => {
    const item = parseMovie(
      movieDoc(5, 'Unreleased', {
        vote_average: 0, vote_count: 0, release_date: '', runtime: 0, imdb_id: 'nm0000001', external_ids: { imdb_id: '' },
        poster_path: null, overview: '', original_title: '', adult: true,
      }),
      5,
    );
    expect(item).toMatchObject({
      type: 'record',
      record: {
        ratings: [], year: null, releaseDate: null, runtimeMinutes: null, imdbId: null, posterUrl: null, overview: null,
        originalTitle: null, isAdult: true,
      },
    });
  });

  it('takes the IMDb id from external_ids when imdb_id is missing', () => {
    const item = parseMovie(movieDoc(6, 'Six', { imdb_id: null, external_ids: { imdb_id: 'tt0000006' } }), 6);
    expect(item).toMatchObject({ type: 'record', record: { imdbId: 'tt0000006' } });
  });

  it('rejects a document of the wrong shape, naming the fields', () => {
    const item = parseMovie(movieDoc(7, 'Seven', { vote_average: 'high', release_date: '2010-02-30' }), 7);
    expect(item).toMatchObject({ type: 'reject', reference: '7' });
    const reason = (item as { reason: string }).reason;
    expect(reason).toMatch(/^unexpected movie document: /);
    expect(reason).toContain('vote_average');
    expect(reason).toContain('release_date');
  });
});

describe('TMDB import options and plan', () => {
  it('validates ids, since and max pages', () => {
    expect(parseTmdbLocation({ ids: '550, 603,550' })).toMatchObject({ ids: [550, 603], since: null, maxPages: 5, concurrency: 8 });
    expect(parseTmdbLocation({ since: '2024-02-29', maxPages: '500' })).toMatchObject({ ids: null, since: '2024-02-29', maxPages: 500 });
    expect(() => parseTmdbLocation({ ids: '550,abc' })).toThrow(new SourceError('TMDB --ids must be TMDB movie ids separated by commas (e.g. 550,603), found "abc"'));
    expect(() => parseTmdbLocation({ since: '2023-02-29' })).toThrow('TMDB --since must be a date YYYY-MM-DD, found "2023-02-29"');
    expect(() => parseTmdbLocation({ since: addDays(today(), 2) })).toThrow(/is in the future/);
    expect(() => parseTmdbLocation({ maxPages: '501' })).toThrow('TMDB --max-pages must be a whole number from 1 to 500, found "501"');
    expect(() => tmdbAdapter.checkLocation({ maxPages: '0' })).toThrow(SourceError);
  });

  it('chooses ids, then changes since a date or the last run, then the popular list', () => {
    const now = new Date('2024-05-20T10:00:00Z');
    const options = parseTmdbLocation({ maxPages: '3' });
    expect(planRun({ ...options, ids: [1], since: '2024-01-01' }, new Date('2024-05-01T00:00:00Z'), now)).toEqual({ mode: 'ids', ids: [1] });
    expect(planRun({ ...options, since: '2024-01-01' }, new Date('2024-05-01T00:00:00Z'), now)).toEqual({
      mode: 'changes', start: '2024-01-01', end: '2024-05-20',
    });
    expect(planRun(options, new Date('2024-05-18T23:59:00Z'), now)).toEqual({ mode: 'changes', start: '2024-05-18', end: '2024-05-20' });
    expect(planRun(options, null, now)).toEqual({ mode: 'discover', maxPages: 3 });
  });

  it('splits a changes range into windows of at most 14 days that meet on their boundary days', () => {
    expect(changeWindows('2024-01-01', '2024-01-31')).toEqual([
      { start: '2024-01-01', end: '2024-01-14' },
      { start: '2024-01-14', end: '2024-01-27' },
      { start: '2024-01-27', end: '2024-01-31' },
    ]);
    expect(changeWindows('2024-02-20', '2024-03-04')).toEqual([{ start: '2024-02-20', end: '2024-03-04' }]);
    expect(changeWindows('2024-03-05', '2024-03-05')).toEqual([{ start: '2024-03-05', end: '2024-03-05' }]);
    expect(changeWindows('2024-03-06', '2024-03-05')).toEqual([]);
  });

  it('waits what Retry-After says, else backs off exponentially, and stops when got says stop', () => {
    const retry = (attemptCount: number, computedValue: number, retryAfter?: number) =>
      retryDelay({ attemptCount, computedValue, retryAfter } as Parameters<typeof retryDelay>[0], 100);
    expect(retry(1, 1000)).toBe(100);
    expect(retry(3, 4000)).toBe(400);
    expect(retry(2, 2000, 5000)).toBe(5000);
    expect(retry(1, 1000, 0)).toBe(1);
    expect(retry(5, 0)).toBe(0);
    expect(retry(1, 0, 7_200_000)).toBe(0);
  });
});

describe('TMDB adapter against a mocked API', () => {
  it('reads the popular list page by page up to maxPages, with the bearer token on every request', async () => {
    addMovies(...[1, 2, 3, 4, 5, 6, 7].map((id) => movieDoc(id, `Movie ${id}`)));
    tmdb.popular = [1, 2, 3, 4, 5, 6, 7];
    const items = await readAll({ maxPages: '3', ...FAST });
    expect(records(items).map((r) => r.externalId)).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(requestsTo('/3/discover/movie').map((r) => r.query)).toEqual([
      { sort_by: 'popularity.desc', page: '1' },
      { sort_by: 'popularity.desc', page: '2' },
      { sort_by: 'popularity.desc', page: '3' },
    ]);
    expect(requestsTo('/3/movie/4')[0]!.query).toEqual({ append_to_response: 'external_ids,credits' });
    expect(tmdb.requests.length).toBe(9);
    expect(tmdb.requests.every((r) => r.auth === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('stops at the last page TMDB has', async () => {
    addMovies(movieDoc(1, 'One'), movieDoc(2, 'Two'), movieDoc(3, 'Three'));
    tmdb.popular = [1, 2, 3];
    const items = await readAll(FAST);
    expect(records(items)).toHaveLength(3);
    expect(requestsTo('/3/discover/movie').map((r) => r.query.page)).toEqual(['1', '2']);
  });

  it('reads the changes since a date in 14-day windows, every page of each, each movie once', async () => {
    const since = addDays(today(), -30);
    tmdb.changes = [
      { id: 11, date: since },
      { id: 12, date: addDays(since, 3) },
      { id: 13, date: addDays(since, 5) },
      { id: 11, date: addDays(since, 20) },
      { id: 14, date: addDays(since, 21) },
      { id: 15, date: addDays(since, 22) },
      { id: 16, date: today() },
    ];
    addMovies(...[11, 12, 13, 14, 15, 16].map((id) => movieDoc(id, `Changed ${id}`)));
    const items = await readAll({ since, ...FAST });
    expect(records(items).map((r) => r.externalId)).toEqual(['11', '12', '13', '14', '15', '16']);
    const windows = requestsTo('/3/movie/changes').map((r) => [r.query.start_date, r.query.end_date, r.query.page]);
    expect(windows).toEqual([
      [since, addDays(since, 13), '1'],
      [since, addDays(since, 13), '2'],
      [addDays(since, 13), addDays(since, 26), '1'],
      [addDays(since, 13), addDays(since, 26), '2'],
      [addDays(since, 26), today(), '1'],
    ]);
    expect(requestsTo('/3/movie/11')).toHaveLength(1);
  });

  it('resumes from the start date of the previous successful run', async () => {
    const started = new Date(`${addDays(today(), -2)}T08:30:00Z`);
    tmdb.changes = [{ id: 21, date: addDays(today(), -1) }];
    addMovies(movieDoc(21, 'Twenty-one'));
    const items = await readAll(FAST, { previousRun: { id: '1', startedAt: started, finishedAt: started, source: {} } });
    expect(records(items).map((r) => r.externalId)).toEqual(['21']);
    expect(requestsTo('/3/movie/changes').map((r) => r.query.start_date)).toEqual([addDays(today(), -2)]);
    expect(requestsTo('/3/discover/movie')).toEqual([]);
  });

  it('reads only the given ids; a movie TMDB does not have is rejected', async () => {
    addMovies(movieDoc(550, 'Fight Club'), movieDoc(603, 'The Matrix'), movieDoc(700, 'Not asked for'));
    const items = await readAll({ ids: '550,603,999', ...FAST });
    expect(records(items).map((r) => r.title)).toEqual(['Fight Club', 'The Matrix']);
    expect(rejects(items)).toEqual([{ type: 'reject', reference: '999', reason: 'not found on TMDB' }]);
    expect(requestsTo('/3/movie/999')).toHaveLength(1);
    expect(tmdb.requests.map((r) => r.path).sort()).toEqual(['/3/movie/550', '/3/movie/603', '/3/movie/999']);
  });

  it('keeps at most `concurrency` detail requests in flight', async () => {
    let inFlight = 0;
    let most = 0;
    server.use(
      http.get(`${BASE}/3/movie/:id`, async ({ params }) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await delay(20);
        inFlight--;
        return HttpResponse.json(movieDoc(Number(params.id), `Movie ${String(params.id)}`));
      }),
    );
    const items = await readAll({ ids: '1,2,3,4,5,6,7,8,9,10', concurrency: '3', ...FAST });
    expect(records(items)).toHaveLength(10);
    expect(most).toBe(3);
  });

  it('honours Retry-After in seconds on 429, then succeeds', async () => {
    addMovies(movieDoc(1, 'One'));
    let calls = 0;
    server.use(
      http.get(`${BASE}/3/movie/1`, ({ request }) => {
        log(request);
        if (++calls === 1) return HttpResponse.json({ status_code: 25, status_message: 'Too many requests' }, { status: 429, headers: { 'Retry-After': '1' } });
        return HttpResponse.json(movieDoc(1, 'One'));
      }),
    );
    const items = await readAll({ ids: '1', ...FAST });
    expect(records(items).map((r) => r.title)).toEqual(['One']);
    const [first, second] = requestsTo('/3/movie/1');
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
  });

  it('honours Retry-After as an HTTP date', async () => {
    let calls = 0;
    server.use(
      http.get(`${BASE}/3/movie/2`, ({ request }) => {
        log(request);
        if (++calls === 1) {
          const later = new Date(Date.now() + 2000).toUTCString();
          return new HttpResponse(null, { status: 429, headers: { 'Retry-After': later } });
        }
        return HttpResponse.json(movieDoc(2, 'Two'));
      }),
    );
    const items = await readAll({ ids: '2', ...FAST });
    expect(records(items).map((r) => r.title)).toEqual(['Two']);
    const [first, second] = requestsTo('/3/movie/2');
    // HTTP dates have whole seconds: the wait is between 1 and 2 seconds.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(900);
  });

  it('rejects a movie whose Retry-After is longer than it is willing to wait', async () => {
    server.use(http.get(`${BASE}/3/movie/3`, () => new HttpResponse(null, { status: 429, headers: { 'Retry-After': '3600' } })));
    const items = await readAll({ ids: '3', maxRetryAfterMs: '5000', ...FAST });
    expect(rejects(items)).toEqual([expect.objectContaining({ reference: '3', reason: expect.stringMatching(/^TMDB answered 429/) })]);
  });

  it('retries a 500 and a timeout, then succeeds', async () => {
    addMovies(movieDoc(1, 'One'), movieDoc(2, 'Two'));
    const calls = new Map<string, number>();
    server.use(
      http.get(`${BASE}/3/movie/:id`, async ({ request, params }) => {
        log(request);
        const id = String(params.id);
        const n = (calls.get(id) ?? 0) + 1;
        calls.set(id, n);
        if (id === '1' && n === 1) return HttpResponse.json({ status_code: 11, status_message: 'Internal error' }, { status: 500 });
        if (id === '2' && n === 1) await delay(2000);
        return HttpResponse.json(movieDoc(Number(id), id === '1' ? 'One' : 'Two'));
      }),
    );
    const items = await readAll({ ids: '1,2', ...FAST });
    expect(records(items).map((r) => r.title)).toEqual(['One', 'Two']);
    expect(rejects(items)).toEqual([]);
    expect(calls).toEqual(new Map([['1', 2], ['2', 2]]));
  });

  it('rejects a movie that keeps failing after its retries, and goes on with the others', async () => {
    addMovies(movieDoc(1, 'One'), movieDoc(2, 'Two'));
    server.use(
      http.get(`${BASE}/3/movie/2`, ({ request }) => {
        log(request);
        return new HttpResponse('upstream exploded', { status: 503 });
      }),
    );
    const items = await readAll({ ids: '1,2', retries: '2', ...FAST });
    expect(records(items).map((r) => r.title)).toEqual(['One']);
    expect(rejects(items)).toEqual([
      { type: 'reject', reference: '2', reason: expect.stringMatching(/^TMDB answered 503.* after 3 attempts$/), excerpt: 'upstream exploded' },
    ]);
    expect(requestsTo('/3/movie/2')).toHaveLength(3);
  });

  it('rejects a movie whose body is not JSON, and imports the others', async () => {
    addMovies(movieDoc(1, 'One'), movieDoc(3, 'Three'));
    server.use(
      http.get(`${BASE}/3/movie/2`, () => new HttpResponse('{"id": 2, "title": "Tw', { headers: { 'content-type': 'application/json' } })),
    );
    const items = await readAll({ ids: '1,2,3', ...FAST });
    expect(records(items).map((r) => r.title)).toEqual(['One', 'Three']);
    expect(rejects(items)).toEqual([
      { type: 'reject', reference: '2', reason: expect.stringMatching(/^TMDB sent malformed JSON/), excerpt: '{"id": 2, "title": "Tw' },
    ]);
  });

  it('fails the whole run at once on 401', async () => {
    process.env.TMDB_API_TOKEN = 'revoked';
    addMovies(...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((id) => movieDoc(id, `Movie ${id}`)));
    await expect(readAll({ ids: '1,2,3,4,5,6,7,8,9,10', concurrency: '2', ...FAST })).rejects.toThrow(
      new SourceError('TMDB rejected the token (401): check TMDB_API_TOKEN'),
    );
    expect(tmdb.requests.length).toBeLessThanOrEqual(2);
  });

  it('fails the run when a list page cannot be read', async () => {
    tmdb.popular = [1, 2, 3];
    addMovies(movieDoc(1, 'One'), movieDoc(2, 'Two'));
    server.use(http.get(`${BASE}/3/discover/movie`, ({ request }) => {
      const url = log(request);
      return url.searchParams.get('page') === '2' ? HttpResponse.json({ page: 2, results: 'none' }) : page(tmdb.popular, url);
    }));
    await expect(readAll(FAST)).rejects.toThrow(/^TMDB \/3\/discover\/movie\?sort_by=popularity.desc&page=2: unexpected list page: /);
  });

  it('fails the run when a list page keeps failing', async () => {
    server.use(http.get(`${BASE}/3/movie/changes`, () => new HttpResponse(null, { status: 502 })));
    await expect(readAll({ since: today(), retries: '1', ...FAST })).rejects.toThrow(/^TMDB \/3\/movie\/changes\?.*: TMDB answered 502.* after 2 attempts$/);
  });

  it('needs a token', async () => {
    delete process.env.TMDB_API_TOKEN;
    await expect(readAll({ ids: '1' })).rejects.toThrow(new SourceError('TMDB import needs TMDB_API_TOKEN'));
    expect(tmdb.requests).toEqual([]);
  });
});

describe('TMDB imports through the worker into the catalogue', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  async function importTmdb(location: SourceLocation) {
    const runId = await queueImport(db.pool, 'tmdb', { ...FAST, ...location }, 'cli');
    await drainJobs(db.pool);
    const { rows } = await db.pool.query('SELECT * FROM import_runs WHERE id = $1', [runId]);
    return rows[0] as {
      id: string; status: string; rows_read: number; rows_changed: number; rows_rejected: number; error: string | null; started_at: Date;
    };
  }

  const tmdbRecords = async () =>
    (
      await db.pool.query(
        `SELECT pr.external_id, pr.title, pr.year, pr.genres, pr.rating, pr.votes, pr.imdb_id, pr.tmdb_id, pr.match_status,
                pr.match_method, m.imdb_id AS movie_imdb_id
           FROM provider_records pr LEFT JOIN movies m ON m.id = pr.movie_id
          WHERE pr.provider_key = 'tmdb' ORDER BY pr.external_id::int`,
      )
    ).rows;

  it('a rejected token fails the run with the message and stores nothing', async () => {
    process.env.TMDB_API_TOKEN = 'revoked';
    tmdb.popular = [1];
    addMovies(movieDoc(1, 'One'));
    const run = await importTmdb({});
    expect(run).toMatchObject({ status: 'FAILED', error: 'TMDB rejected the token (401): check TMDB_API_TOKEN', rows_changed: 0 });
    expect(await tmdbRecords()).toEqual([]);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM movies')).rows[0].n).toBe(0);
  });

  it('the first run loads the popular movies: records, movies by IMDb id, normalised ratings, genres', async () => {
    // A movie IMDb already brought: TMDB's record joins it through the shared IMDb id.
    const { rows: existing } = await db.pool.query(
      `INSERT INTO movies (imdb_id, title, year) VALUES ('tt1375666', 'Inception', 2010) RETURNING id`,
    );
    addMovies(
      movieDoc(27205, 'Inception', { imdb_id: 'tt1375666', genres: [{ id: 878, name: 'Science Fiction' }, { id: 28, name: 'Action' }] }),
      movieDoc(603, 'The Matrix', { imdb_id: null, external_ids: { imdb_id: 'tt0133093' }, release_date: '1999-03-30', vote_average: 8.2 }),
      movieDoc(550, 'Fight Club', { release_date: '1999-10-15', vote_count: 0 }),
      movieDoc(999, 'Last on page two'),
    );
    tmdb.popular = [27205, 603, 550, 999, 1000];
    const run = await importTmdb({ maxPages: '2' });
    expect(run).toMatchObject({ status: 'SUCCEEDED', rows_read: 4, rows_changed: 4, rows_rejected: 0, error: null });
    expect(requestsTo('/3/discover/movie').map((r) => r.query.page)).toEqual(['1', '2']);

    expect(await tmdbRecords()).toEqual([
      {
        external_id: '550', title: 'Fight Club', year: 1999, genres: ['Drama'], rating: null, votes: null,
        imdb_id: 'tt9000550', tmdb_id: '550', match_status: 'MATCHED', match_method: 'imdb_id', movie_imdb_id: 'tt9000550',
      },
      {
        external_id: '603', title: 'The Matrix', year: 1999, genres: ['Drama'], rating: 8.2, votes: 1000,
        imdb_id: 'tt0133093', tmdb_id: '603', match_status: 'MATCHED', match_method: 'imdb_id', movie_imdb_id: 'tt0133093',
      },
      {
        external_id: '999', title: 'Last on page two', year: 2010, genres: ['Drama'], rating: 7.5, votes: 1000,
        imdb_id: 'tt9000999', tmdb_id: '999', match_status: 'MATCHED', match_method: 'imdb_id', movie_imdb_id: 'tt9000999',
      },
      {
        external_id: '27205', title: 'Inception', year: 2010, genres: ['Science Fiction', 'Action'], rating: 7.5, votes: 1000,
        imdb_id: 'tt1375666', tmdb_id: '27205', match_status: 'MATCHED', match_method: 'imdb_id', movie_imdb_id: 'tt1375666',
      },
    ]);

    const { rows: movies } = await db.pool.query(
      `SELECT m.id, m.imdb_id, m.title, m.year, m.release_date::text AS release_date, m.overview, m.poster_url,
              array(SELECT g.name FROM movie_genres mg JOIN genres g ON g.id = mg.genre_id WHERE mg.movie_id = m.id ORDER BY g.name) AS genres
         FROM movies m ORDER BY m.imdb_id`,
    );
    expect(movies.map((m) => m.imdb_id)).toEqual(['tt0133093', 'tt1375666', 'tt9000550', 'tt9000999']);
    const inception = movies.find((m) => m.imdb_id === 'tt1375666');
    expect(inception).toMatchObject({
      id: existing[0].id, title: 'Inception', release_date: '2010-07-16', overview: 'About Inception.',
      poster_url: 'https://image.tmdb.org/t/p/w500/poster27205.jpg', genres: ['Action', 'Science Fiction'],
    });

    const { rows: ratings } = await db.pool.query(
      `SELECT m.imdb_id, r.provider_key, r.kind, r.raw_value, r.raw_scale, r.normalized, r.votes
         FROM ratings r JOIN movies m ON m.id = r.movie_id ORDER BY m.imdb_id`,
    );
    expect(ratings).toEqual([
      { imdb_id: 'tt0133093', provider_key: 'tmdb', kind: 'users', raw_value: 8.2, raw_scale: '0-10', normalized: expect.closeTo(82, 1), votes: 1000 },
      { imdb_id: 'tt1375666', provider_key: 'tmdb', kind: 'users', raw_value: 7.5, raw_scale: '0-10', normalized: expect.closeTo(75, 1), votes: 1000 },
      { imdb_id: 'tt9000999', provider_key: 'tmdb', kind: 'users', raw_value: 7.5, raw_scale: '0-10', normalized: expect.closeTo(75, 1), votes: 1000 },
    ]);
  });

  it('the next run without options reads the changes since the first run started, and keeps bad movies out', async () => {
    const { rows: previous } = await db.pool.query(
      `SELECT started_at FROM import_runs WHERE provider_key = 'tmdb' AND status IN ('SUCCEEDED', 'PARTIAL') ORDER BY finished_at DESC LIMIT 1`,
    );
    const resumeFrom = (previous[0].started_at as Date).toISOString().slice(0, 10);
    addMovies(movieDoc(603, 'The Matrix', { imdb_id: 'tt0133093', release_date: '1999-03-30', vote_average: 8.7, vote_count: 1200 }));
    tmdb.changes = [{ id: 603, date: today() }, { id: 404, date: today() }, { id: 13, date: today() }];
    tmdb.popular = [1];
    server.use(http.get(`${BASE}/3/movie/13`, () => new HttpResponse('<html>oops</html>', { headers: { 'content-type': 'application/json' } })));

    const run = await importTmdb({});
    expect(run).toMatchObject({ status: 'PARTIAL', rows_read: 3, rows_changed: 1, rows_rejected: 2 });
    expect(requestsTo('/3/movie/changes').map((r) => [r.query.start_date, r.query.end_date, r.query.page])).toEqual([
      [resumeFrom, today(), '1'],
      [resumeFrom, today(), '2'],
    ]);
    expect(requestsTo('/3/discover/movie')).toEqual([]);

    const { rows: errors } = await db.pool.query(`SELECT reference, reason FROM import_errors WHERE run_id = $1 ORDER BY reference`, [run.id]);
    expect(errors).toEqual([
      { reference: '13', reason: expect.stringMatching(/^TMDB sent malformed JSON/) },
      { reference: '404', reason: 'not found on TMDB' },
    ]);
    const { rows: ratings } = await db.pool.query(
      `SELECT r.raw_value, r.votes FROM ratings r JOIN movies m ON m.id = r.movie_id WHERE m.imdb_id = 'tt0133093' AND r.provider_key = 'tmdb'`,
    );
    expect(ratings).toEqual([{ raw_value: 8.7, votes: 1200 }]);
    expect((await tmdbRecords()).map((r) => r.external_id)).toEqual(['550', '603', '999', '27205']);
  });

  it('moviec import tmdb --ids imports those movies and says how it went', async () => {
    addMovies(movieDoc(77, 'Seventy-seven', { imdb_id: 'tt0000077' }));
    const { code, lines } = await moviec(db, 'import', 'tmdb', '--ids', '77');
    expect(lines.at(-1)).toMatch(/^Import run \d+ SUCCEEDED$/);
    expect(code).toBe(EXIT.SUCCEEDED);
    expect(tmdb.requests.map((r) => r.path)).toEqual(['/3/movie/77']);
    expect((await tmdbRecords()).find((r) => r.external_id === '77')).toMatchObject({ title: 'Seventy-seven', movie_imdb_id: 'tt0000077' });
  });

  it('moviec import tmdb refuses a bad --since before queueing anything', async () => {
    const before = (await db.pool.query('SELECT count(*)::int AS n FROM import_runs')).rows[0].n;
    const { code, lines } = await moviec(db, 'import', 'tmdb', '--since', '2024-13-01');
    expect(code).toBe(1);
    expect(lines).toContain('TMDB --since must be a date YYYY-MM-DD, found "2024-13-01"');
    expect((await db.pool.query('SELECT count(*)::int AS n FROM import_runs')).rows[0].n).toBe(before);
  });
});

/** Runs `moviec ...args` in-process against the test database; returns exit code and output. */
async function moviec(db: TestDatabase, ...args: string[]) {
  const lines: string[] = [];
  const spies = [
    jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' '))),
    jest.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' '))),
  ];
  const env = { DATABASE_URL: process.env.DATABASE_URL, LOG_LEVEL: process.env.LOG_LEVEL };
  process.env.DATABASE_URL = db.url;
  process.env.LOG_LEVEL = 'silent';
  process.exitCode = undefined;
  try {
    await (await buildFullCli()).exitOverride().parseAsync(['node', 'moviec', ...args]);
    return { code: Number(process.exitCode ?? 0), lines };
  } catch (error) {
    // What main() does with a known error: one line, exit 1.
    lines.push((error as Error).message);
    return { code: 1, lines };
  } finally {
    process.exitCode = undefined;
    for (const [key, value] of Object.entries(env)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    spies.forEach((s) => s.mockRestore());
  }
}
