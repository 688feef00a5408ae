import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { loadConfig, type Config } from '../../src/config.js';
import { adminAccess } from '../../src/graphql/auth.js';
import { ensureProviders, startTestApi, type GraphQLResponse, type TestApi } from '../support/graphql-api.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles } from '../support/imdb-files.js';
import { drainJobs, executeImport, queueImport } from '../support/pipeline.js';

const TOKEN = 'admin-test-token-0123456789abcdef';
const BEARER = { authorization: `Bearer ${TOKEN}` };

/** A fake TMDB for reimportMovie: one movie, id 603, linked to the IMDb record by imdb_id. */
const TMDB_BASE = 'http://tmdb.admin.test';
const tmdbRequests: string[] = [];
const tmdb = setupServer(
  http.get(`${TMDB_BASE}/3/movie/:id`, ({ request, params }) => {
    tmdbRequests.push(new URL(request.url).pathname);
    if (params.id !== '603') return HttpResponse.json({ status_code: 34, status_message: 'not found' }, { status: 404 });
    return HttpResponse.json({
      adult: false, id: 603, imdb_id: 'tt0300001', title: 'The Glass Orchard', original_title: 'The Glass Orchard',
      overview: 'Apples, mostly.', poster_path: '/orchard.jpg', release_date: '1999-03-31', runtime: 136,
      genres: [{ id: 18, name: 'Drama' }], vote_average: 8.2, vote_count: 20000, popularity: 80,
      external_ids: { imdb_id: 'tt0300001' },
    });
  }),
);
const savedEnv = { token: process.env.TMDB_API_TOKEN, base: process.env.TMDB_BASE_URL };

const MUTATIONS: [name: string, document: string][] = [
  ['reimportProvider', `mutation { reimportProvider(provider: IMDB) { id } }`],
  ['reimportMovie', `mutation { reimportMovie(id: "00000000-0000-4000-8000-000000000000") }`],
  ['recomputeMovie', `mutation { recomputeMovie(id: "00000000-0000-4000-8000-000000000000") { id } }`],
  ['lockMovieField', `mutation { lockMovieField(id: "00000000-0000-4000-8000-000000000000", field: TITLE, value: "X") { id } }`],
  ['unlockMovieField', `mutation { unlockMovieField(id: "00000000-0000-4000-8000-000000000000", field: TITLE) { id } }`],
];

function expectError(res: GraphQLResponse, code: string, message?: RegExp) {
  // A nullable field (recomputeMovie) is null beside its error; a non-null one nulls data.
  if (res.data != null) for (const value of Object.values(res.data as object)) expect(value).toBeNull();
  expect(res.errors).toHaveLength(1);
  expect(res.errors![0]!.extensions?.code).toBe(code);
  if (message) expect(res.errors![0]!.message).toMatch(message);
  expect(res.errors![0]!.extensions?.stacktrace).toBeUndefined();
}

describe('adminAccess', () => {
  it('grants only the exact bearer token', () => {
    expect(adminAccess(`Bearer ${TOKEN}`, TOKEN)).toBe('granted');
    expect(adminAccess(`bearer   ${TOKEN} `, TOKEN)).toBe('granted');
    expect(adminAccess(`Bearer ${TOKEN}x`, TOKEN)).toBe('invalid');
    expect(adminAccess(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN)).toBe('invalid');
    expect(adminAccess('Bearer a', TOKEN)).toBe('invalid');
    expect(adminAccess(`Basic ${TOKEN}`, TOKEN)).toBe('missing');
    expect(adminAccess(undefined, TOKEN)).toBe('missing');
    expect(adminAccess(`Bearer ${TOKEN}`, undefined)).toBe('disabled');
  });
});

describe('admin mutations without ADMIN_TOKEN configured', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it.each(MUTATIONS)('refuses %s with a clear message, whatever the header says', async (_, document) => {
    for (const headers of [{}, BEARER]) {
      const res = await api.gql(document, {}, headers);
      expectError(res, 'FORBIDDEN', /Admin operations are disabled on this server: set ADMIN_TOKEN/);
    }
    const { rows } = await api.db.pool.query('SELECT count(*)::int AS n FROM import_runs');
    expect(rows[0].n).toBe(0);
  });
});

describe('admin mutations with ADMIN_TOKEN', () => {
  let api: TestApi;
  /** The API's configuration, read once when it starts (as npm start does). */
  let config: Config;
  let orchardId: string;
  let loneId: string;

  beforeAll(async () => {
    tmdb.listen({ onUnhandledRequest: 'bypass' });
    process.env.TMDB_API_TOKEN = 'tmdb-test-token';
    process.env.TMDB_BASE_URL = TMDB_BASE;
    config = loadConfig();
    api = await startTestApi({ adminToken: TOKEN, config });
    await ensureProviders(api.db.pool, ['tmdb']);
  });
  afterAll(async () => {
    await api.close();
    tmdb.close();
    for (const [key, value] of [['TMDB_API_TOKEN', savedEnv.token], ['TMDB_BASE_URL', savedEnv.base]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it.each(MUTATIONS)('refuses %s without the header, with a wrong token, or another scheme', async (_, document) => {
    expectError(await api.gql(document), 'UNAUTHENTICATED', /Authorization: Bearer <ADMIN_TOKEN>/);
    expectError(await api.gql(document, {}, { authorization: 'Bearer wrong-token-0123456789abcdef' }), 'UNAUTHENTICATED', /not valid/);
    expectError(await api.gql(document, {}, { authorization: `Basic ${TOKEN}` }), 'UNAUTHENTICATED');
  });

  it('reimportProvider: refuses a provider never imported, with what to do', async () => {
    const res = await api.gql(`mutation { reimportProvider(provider: IMDB) { id } }`, {}, BEARER);
    expectError(res, 'BAD_USER_INPUT', /No previous successful IMDb import to repeat: import it once with `moviec import imdb` first/);
  });

  it('reimportProvider: queues the last import again; importRun polls it to the end', async () => {
    const files = await writeFiles(await tempDir(), {
      'b.tsv': basicsTsv([
        { tconst: 'tt0300001', title: 'Glass Orchard', year: 1999, genres: ['Drama'] },
        { tconst: 'tt0300002', title: 'Lone Pine', year: 2005, genres: ['Western'] },
      ]),
      'r.tsv': ratingsTsv([['tt0300001', 7.9, 5000], ['tt0300002', 6.1, 800]]),
    });
    const first = await queueImport(api.db.pool, 'imdb', { basics: files['b.tsv']!, ratings: files['r.tsv']! }, 'cli');
    await drainJobs(api.db.pool);
    const { rows } = await api.db.pool.query<{ id: string; imdb_id: string }>(`SELECT id, imdb_id FROM movies ORDER BY imdb_id`);
    [orchardId, loneId] = rows.map((r) => r.id) as [string, string];

    const queued = await api.gql(`mutation { reimportProvider(provider: IMDB) { id status provider { key } } }`, {}, BEARER);
    expect(queued.errors).toBeUndefined();
    expect(queued.data.reimportProvider).toMatchObject({ status: 'QUEUED', provider: { key: 'IMDB' } });
    const runId = queued.data.reimportProvider.id;
    expect(Number(runId)).toBeGreaterThan(Number(first));
    const { rows: runs } = await api.db.pool.query(`SELECT trigger, source FROM import_runs WHERE id = $1`, [runId]);
    expect(runs[0]).toEqual({ trigger: 'api', source: { basics: files['b.tsv'], ratings: files['r.tsv'] } });

    const poll = `query ($id: ID!) { importRun(id: $id) { id status rowsRead rowsChanged rowsRejected startedAt finishedAt error } }`;
    expect((await api.gql(poll, { id: runId })).data.importRun).toMatchObject({ status: 'QUEUED', rowsRead: 0, startedAt: null });
    await drainJobs(api.db.pool);
    const done = (await api.gql(poll, { id: runId })).data.importRun;
    expect(done).toMatchObject({ id: runId, status: 'SUCCEEDED', rowsRead: 4, rowsChanged: 0, rowsRejected: 0, error: null });
    expect(done.finishedAt).toEqual(expect.any(String));
  });

  it('reimportMovie: refetches a movie from TMDB by the id its records link to, then aggregates it', async () => {
    // A TMDB record already linked to the movie (TMDB knows it as 603).
    await api.db.pool.query(
      `INSERT INTO provider_records (provider_key, external_id, payload, content_hash, movie_id, match_status, imdb_id)
       VALUES ('tmdb', '603', '{}', 'old', $1, 'MATCHED', 'tt0300001')`,
      [orchardId],
    );
    const res = await api.gql(`mutation ($id: ID!) { reimportMovie(id: $id) }`, { id: orchardId }, BEARER);
    expect(res.errors).toBeUndefined();
    expect(res.data.reimportMovie).toBe(true);
    const { rows } = await api.db.pool.query(`SELECT id, status, source FROM import_runs WHERE provider_key = 'tmdb'`);
    expect(rows).toEqual([{ id: expect.any(String), status: 'QUEUED', source: { ids: '603' } }]);

    await drainJobs(api.db.pool);
    expect(tmdbRequests).toEqual(['/3/movie/603']);
    const movie = await api.gql(
      `query ($id: ID!) { movie(id: $id) { runtimeMinutes overview ratings { provider { key } rawValue votes } } }`,
      { id: orchardId },
    );
    expect(movie.data.movie).toMatchObject({ runtimeMinutes: 136, overview: 'Apples, mostly.' });
    expect(movie.data.movie.ratings).toEqual(
      expect.arrayContaining([{ provider: { key: 'TMDB' }, rawValue: 8.2, votes: 20000 }]),
    );
  });

  it('reimportMovie without TMDB_API_TOKEN says why, and records no run', async () => {
    await api.db.pool.query(
      `INSERT INTO provider_records (provider_key, external_id, payload, content_hash, movie_id, match_status, imdb_id)
       VALUES ('tmdb', '604', '{}', 'old', $1, 'MATCHED', 'tt0300001') ON CONFLICT DO NOTHING`,
      [orchardId],
    );
    const { rows: before } = await api.db.pool.query('SELECT count(*)::int AS n FROM import_runs');
    delete config.TMDB_API_TOKEN;
    try {
      const res = await api.gql(`mutation ($id: ID!) { reimportMovie(id: $id) }`, { id: orchardId }, BEARER);
      expectError(res, 'BAD_USER_INPUT', /^Cannot re-import from TMDB: TMDB import needs TMDB_API_TOKEN/);
    } finally {
      config.TMDB_API_TOKEN = 'tmdb-test-token';
    }
    const { rows: after } = await api.db.pool.query('SELECT count(*)::int AS n FROM import_runs');
    expect(after[0].n).toBe(before[0].n);
  });

  it('reimportMovie: false when no provider can fetch the movie alone; NOT_FOUND for an unknown movie', async () => {
    const res = await api.gql(`mutation ($id: ID!) { reimportMovie(id: $id) }`, { id: loneId }, BEARER);
    expect(res.data).toEqual({ reimportMovie: false });
    expectError(await api.gql(`mutation { reimportMovie(id: "00000000-0000-4000-8000-000000000000") }`, {}, BEARER), 'NOT_FOUND');
    expectError(await api.gql(`mutation { reimportMovie(id: "nope") }`, {}, BEARER), 'NOT_FOUND');
  });

  it('recomputeMovie: applies a record change at once, and the next read sees it', async () => {
    const query = `query ($id: ID!) { movie(id: $id) { score { value } ratings { rawValue } } }`;
    const before = (await api.gql(query, { id: loneId })).data.movie;
    // A new ratings file, imported without running the aggregation it queues.
    const files = await writeFiles(await tempDir(), {
      'b.tsv': basicsTsv([{ tconst: 'tt0300002', title: 'Lone Pine', year: 2005, genres: ['Western'] }]),
      'r.tsv': ratingsTsv([['tt0300002', 9.5, 800]]),
    });
    await executeImport(api.db.pool, await queueImport(api.db.pool, 'imdb', { basics: files['b.tsv']!, ratings: files['r.tsv']! }, 'cli'));
    expect((await api.gql(query, { id: loneId })).data.movie).toEqual(before);

    const res = await api.gql(`mutation ($id: ID!) { recomputeMovie(id: $id) { id score { value } ratings { rawValue } } }`, { id: loneId }, BEARER);
    expect(res.errors).toBeUndefined();
    expect(res.data.recomputeMovie.ratings).toEqual([{ rawValue: 9.5 }]);
    expect(res.data.recomputeMovie.score.value).toBeGreaterThan(before.score.value);
    expect((await api.gql(query, { id: loneId })).data.movie).toEqual({ score: res.data.recomputeMovie.score, ratings: [{ rawValue: 9.5 }] });
    expectError(await api.gql(`mutation { recomputeMovie(id: "00000000-0000-4000-8000-000000000000") { id } }`, {}, BEARER), 'NOT_FOUND');
  });

  it('lockMovieField / unlockMovieField: a locked field keeps its value and shows its source; unlocking hands it back', async () => {
    const fields = `title year fieldSources { field source locked provider { key } } genres { name } genreCandidates { name confidence accepted }`;
    const lock = await api.gql(
      `mutation ($id: ID!) { lockMovieField(id: $id, field: TITLE, value: "  The Lone Pine  ") { ${fields} } }`,
      { id: loneId },
      BEARER,
    );
    expect(lock.errors).toBeUndefined();
    expect(lock.data.lockMovieField.title).toBe('The Lone Pine');
    expect(lock.data.lockMovieField.fieldSources).toEqual(
      expect.arrayContaining([
        { field: 'title', source: 'lock', locked: true, provider: null },
        { field: 'year', source: 'imdb', locked: false, provider: { key: 'IMDB' } },
      ]),
    );
    // Providers cannot move it: a recomputation keeps the lock, and so do reads and search.
    await api.gql(`mutation ($id: ID!) { recomputeMovie(id: $id) { id } }`, { id: loneId }, BEARER);
    expect((await api.gql(`query ($id: ID!) { movie(id: $id) { title } }`, { id: loneId })).data.movie.title).toBe('The Lone Pine');
    const search = await api.gql(`{ searchMovies(query: "the lone pine") { edges { node { id title } } } }`);
    expect(search.data.searchMovies.edges[0].node).toEqual({ id: loneId, title: 'The Lone Pine' });

    const year = await api.gql(`mutation ($id: ID!) { lockMovieField(id: $id, field: YEAR, value: "2004") { year } }`, { id: loneId }, BEARER);
    expect(year.data.lockMovieField.year).toBe(2004);

    const unlock = await api.gql(`mutation ($id: ID!) { unlockMovieField(id: $id, field: TITLE) { ${fields} } }`, { id: loneId }, BEARER);
    expect(unlock.data.unlockMovieField.title).toBe('Lone Pine');
    expect(unlock.data.unlockMovieField.fieldSources).toEqual(
      expect.arrayContaining([
        { field: 'title', source: 'imdb', locked: false, provider: { key: 'IMDB' } },
        { field: 'year', source: 'lock', locked: true, provider: null },
      ]),
    );
    expect(unlock.data.unlockMovieField.genreCandidates).toEqual([{ name: 'Western', confidence: 1, accepted: true }]);
  });

  it.each([
    ['YEAR', 'nineteen', /YEAR must be a year between 1850 and 2200, got "nineteen"/],
    ['RELEASE_DATE', '2005-02-30', /RELEASE_DATE must be a date as YYYY-MM-DD/],
    ['POSTER_URL', 'javascript:alert(1)', /POSTER_URL must be an http or https URL/],
    ['TITLE', '   ', /TITLE must be 1 to 10000 characters of text/],
  ])('lockMovieField: refuses an invalid %s with BAD_USER_INPUT', async (field, value, message) => {
    const res = await api.gql(
      `mutation ($id: ID!, $field: LockableField!, $value: String!) { lockMovieField(id: $id, field: $field, value: $value) { id } }`,
      { id: loneId, field, value },
      BEARER,
    );
    expectError(res, 'BAD_USER_INPUT', message);
  });
});
