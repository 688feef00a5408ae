import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { ensureProviders, startTestApi, type TestApi } from '../support/graphql-api.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles } from '../support/imdb-files.js';
import { drainJobs, queueImport } from '../support/pipeline.js';

// Ids as evidence both ways, provenance per link, and corrections that survive reimports, through
// real imports (IMDb and MovieLens files, Rotten Tomatoes CSV, TMDB over HTTP) and the GraphQL API.

const TOKEN = 'admin-test-token-0123456789abcdef';
const ADMIN = { authorization: `Bearer ${TOKEN}` };
const TMDB_BASE = 'http://tmdb.links.test';

// Real public films. TMDB 109445 is Disney's Frozen, 86320 "The Frozen" (2012): neither document
// carries an IMDb id, as many TMDB records do not.
const tmdbMovies: Record<string, Record<string, unknown>> = {
  '109445': { id: 109445, title: 'Frozen', original_title: 'Frozen', release_date: '2013-11-27', runtime: 102, vote_average: 7.3, vote_count: 15000,
    credits: { crew: [{ job: 'Director', name: 'Chris Buck' }, { job: 'Director', name: 'Jennifer Lee' }, { job: 'Editor', name: 'Jeff Draheim' }] } },
  '86320': { id: 86320, title: 'The Frozen', original_title: 'The Frozen', release_date: '2012-10-05', runtime: 92, vote_average: 4.9, vote_count: 60,
    credits: { crew: [{ job: 'Director', name: 'Andrew Hyatt' }] } },
};
const tmdb = setupServer(
  http.get(`${TMDB_BASE}/3/movie/:id`, ({ params }) => {
    const movie = tmdbMovies[String(params.id)];
    return movie ? HttpResponse.json({ adult: false, genres: [], external_ids: { imdb_id: null }, ...movie }) : HttpResponse.json({}, { status: 404 });
  }),
);
const savedEnv = { token: process.env.TMDB_API_TOKEN, base: process.env.TMDB_BASE_URL };

const RT_HEADER = 'rotten_tomatoes_link,movie_title,movie_info,genres,directors,original_release_date,runtime,tomatometer_rating,tomatometer_count,audience_rating,audience_count';

interface Link {
  provider: { key: string };
  externalId: string;
  method: string;
  confidence: number;
  matchedAt: string | null;
}

describe('ids both ways, provenance and corrections', () => {
  let api: TestApi;
  let dir: string;
  const movie: Record<string, string> = {};

  async function importFiles(provider: string, location: Record<string, string>) {
    await queueImport(api.db.pool, provider, location, 'cli');
    await drainJobs(api.db.pool);
    // The jobs ran in this test, not in a worker that tells the API's cache.
    await api.app.cache.invalidateAll();
  }
  const importTmdb = () => importFiles('tmdb', { ids: Object.keys(tmdbMovies).join(',') });
  async function importMovieLens(rating = '4.0') {
    const files = await writeFiles(dir, {
      'movies.csv': `movieId,title,genres\n106696,Frozen (2013),Adventure|Animation|Comedy|Fantasy|Musical|Romance\n`,
      'links.csv': 'movieId,imdbId,tmdbId\n106696,2294629,109445\n',
      'ratings.csv': `userId,movieId,rating,timestamp\n1,106696,${rating},1400000000\n`,
    });
    await importFiles('movielens', { dir: files['movies.csv']!.replace(/\/movies\.csv$/, '') });
  }
  async function importRottenTomatoes(audience = 68) {
    const files = await writeFiles(dir, {
      'rt.csv': [
        RT_HEADER,
        `m/paranormal_activity,Paranormal Activity,A couple and a camera.,Horror,Oren Peli,2009-09-25,86,83,240,60,${audience}00`,
        `m/frozen_2013,Frozen,Sisters and snow.,"Animation, Kids & Family","Chris Buck, Jennifer Lee",2013-11-27,102,90,250,86,${audience}000`,
      ].join('\n') + '\n',
    });
    await importFiles('rottentomatoes', { file: files['rt.csv']! });
  }
  const linksOf = async (id: string): Promise<Link[]> =>
    (await api.gql<{ movie: { externalIds: Link[] } }>(
      `query($id: ID!) { movie(id: $id) { externalIds { provider { key } externalId method confidence matchedAt } } }`, { id },
    )).data!.movie.externalIds;
  const byExternalId = async (provider: string, externalId: string): Promise<string | null> =>
    (await api.gql<{ movieByExternalId: { id: string } | null }>(
      `query($p: ProviderKey!, $e: String!) { movieByExternalId(provider: $p, externalId: $e) { id } }`, { p: provider, e: externalId },
    )).data!.movieByExternalId?.id ?? null;
  const record = async (provider: string, externalId: string) =>
    (await api.db.pool.query(
      `SELECT movie_id, match_status, match_method, match_reason, matched_at FROM provider_records WHERE provider_key = $1 AND external_id = $2`,
      [provider, externalId],
    )).rows[0];

  beforeAll(async () => {
    tmdb.listen({ onUnhandledRequest: 'bypass' });
    process.env.TMDB_API_TOKEN = 'tmdb-test-token';
    process.env.TMDB_BASE_URL = TMDB_BASE;
    api = await startTestApi({ adminToken: TOKEN });
    await ensureProviders(api.db.pool, ['tmdb', 'rottentomatoes', 'movielens']);
    dir = await tempDir();
    const files = await writeFiles(dir, {
      'b.tsv': basicsTsv([
        { tconst: 'tt2294629', title: 'Frozen', year: 2013, runtime: 102 },
        { tconst: 'tt1179904', title: 'Paranormal Activity', year: 2007, runtime: 86 },
        { tconst: 'tt1536044', title: 'Paranormal Activity 2', year: 2010, runtime: 91 },
      ]),
      'r.tsv': ratingsTsv([['tt2294629', 7.4, 600000], ['tt1179904', 6.3, 250000], ['tt1536044', 5.7, 100000]]),
    });
    await importFiles('imdb', { basics: files['b.tsv']!, ratings: files['r.tsv']! });
    const { rows } = await api.db.pool.query<{ id: string; imdb_id: string }>('SELECT id, imdb_id FROM movies');
    for (const r of rows) movie[r.imdb_id] = r.id;
  });
  afterAll(async () => {
    tmdb.close();
    for (const [key, value] of [['TMDB_API_TOKEN', savedEnv.token], ['TMDB_BASE_URL', savedEnv.base]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await api.close();
  });

  it('keeps two TMDB films with one title apart, and joins the one MovieLens links by TMDB id', async () => {
    await importTmdb();
    await importMovieLens();
    // links.csv says TMDB 109445 is tt2294629: the TMDB record joins by that id, whatever the order.
    expect(await record('tmdb', '109445')).toMatchObject({ movie_id: movie.tt2294629, match_method: 'tmdb_id' });
    const theFrozen = await record('tmdb', '86320');
    expect(theFrozen.movie_id).not.toBe(movie.tt2294629);
    expect(theFrozen.match_reason).toMatch(/ids contradict|also the title match/);
    // Every id the movie is known by, with how it was matched.
    const links = await linksOf(movie.tt2294629!);
    expect(links.map((l) => [l.provider.key, l.externalId, l.method])).toEqual(expect.arrayContaining([
      ['IMDB', 'tt2294629', 'ID'], ['MOVIELENS', '106696', 'ID'], ['TMDB', '109445', 'ID'],
    ]));
    expect(links.every((l) => l.confidence === 1 && typeof l.matchedAt === 'string')).toBe(true);
    expect(await byExternalId('TMDB', '109445')).toBe(movie.tt2294629);
    const { rows } = await api.db.pool.query(`SELECT count(*)::int AS n FROM provider_records WHERE provider_key = 'tmdb' AND movie_id = $1`, [movie.tt2294629]);
    expect(rows[0].n).toBe(1);
  });

  it('never joins a sequel by title, and names the reason; title matches carry what decided', async () => {
    await importRottenTomatoes();
    const pa = await record('rottentomatoes', 'm/paranormal_activity');
    expect(pa.movie_id).toBeNull();
    expect(pa.match_reason).toMatch(/sequel number differs/);
    const frozen = await record('rottentomatoes', 'm/frozen_2013');
    expect(frozen).toMatchObject({ movie_id: movie.tt2294629, match_method: 'title_year' });
    expect(frozen.match_reason).toMatch(/title equal.*year 2013.*runtime 102\/102 min agrees.*director (Chris Buck|Jennifer Lee) agrees/);
    const rt = (await linksOf(movie.tt2294629!)).find((l) => l.provider.key === 'ROTTEN_TOMATOES')!;
    expect(rt).toMatchObject({ externalId: 'm/frozen_2013', method: 'TITLE' });
    expect(rt.confidence).toBeGreaterThanOrEqual(0.8);
  });

  it('relinkRecord pins a record to a movie as MANUAL, re-aggregates both, and survives a reimport', async () => {
    const res = await api.gql<{ relinkRecord: { id: string } }>(
      `mutation($m: ID!) { relinkRecord(provider: ROTTEN_TOMATOES, externalId: "m/paranormal_activity", movieId: $m) { id } }`,
      { m: movie.tt1179904 }, ADMIN,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.relinkRecord.id).toBe(movie.tt1179904);
    const ratings = await api.gql<{ movie: { ratings: { provider: { key: string } }[] } }>(
      `query($id: ID!) { movie(id: $id) { ratings { provider { key } } } }`, { id: movie.tt1179904 },
    );
    expect(ratings.data!.movie.ratings.map((r) => r.provider.key)).toContain('ROTTEN_TOMATOES');
    await importRottenTomatoes(70); // changed rows: matched again
    expect(await record('rottentomatoes', 'm/paranormal_activity')).toMatchObject({ movie_id: movie.tt1179904, match_method: 'manual' });
    const link = (await linksOf(movie.tt1179904!)).find((l) => l.provider.key === 'ROTTEN_TOMATOES')!;
    expect(link).toMatchObject({ externalId: 'm/paranormal_activity', method: 'MANUAL', confidence: 1 });
  });

  it('confirmMatch keeps a title match as MANUAL through a reimport', async () => {
    const res = await api.gql<{ confirmMatch: { id: string; externalIds: Link[] } }>(
      `mutation { confirmMatch(provider: ROTTEN_TOMATOES, externalId: "m/frozen_2013") { id externalIds { provider { key } externalId method } } }`,
      {}, ADMIN,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.confirmMatch.id).toBe(movie.tt2294629);
    expect(res.data!.confirmMatch.externalIds).toContainEqual({ provider: { key: 'ROTTEN_TOMATOES' }, externalId: 'm/frozen_2013', method: 'MANUAL' });
    await importRottenTomatoes(72);
    expect(await record('rottentomatoes', 'm/frozen_2013')).toMatchObject({ movie_id: movie.tt2294629, match_method: 'manual' });
  });

  it('rejectMatch takes a record off its movie for good: not back by id or title after reimports', async () => {
    const res = await api.gql<{ rejectMatch: boolean }>(`mutation { rejectMatch(provider: TMDB, externalId: "109445") }`, {}, ADMIN);
    expect(res.errors).toBeUndefined();
    expect(res.data!.rejectMatch).toBe(true);
    const after = await record('tmdb', '109445');
    expect(after.movie_id).not.toBe(movie.tt2294629);
    expect((await linksOf(movie.tt2294629!)).some((l) => l.provider.key === 'TMDB' && l.externalId === '109445' && l.method !== 'ID')).toBe(false);
    const shown = await api.gql<{ movie: { rejectedMatches: { provider: { key: string }; externalId: string }[] } }>(
      `query($id: ID!) { movie(id: $id) { rejectedMatches { provider { key } externalId rejectedAt } } }`, { id: movie.tt2294629 },
    );
    expect(shown.data!.movie.rejectedMatches).toEqual([{ provider: { key: 'TMDB' }, externalId: '109445', rejectedAt: expect.any(String) }]);
    tmdbMovies['109445']!.vote_count = 15001; // a changed record is matched again
    await importTmdb();
    await importMovieLens('4.5'); // the MovieLens row changes too and links to TMDB 109445 again
    expect((await record('tmdb', '109445')).movie_id).not.toBe(movie.tt2294629);
    // MovieLens still names the id: the movie is still found by it, the rejected record is not on it.
    const { rows } = await api.db.pool.query(`SELECT count(*)::int AS n FROM provider_records WHERE provider_key = 'tmdb' AND movie_id = $1`, [movie.tt2294629]);
    expect(rows[0].n).toBe(0);
  });

  it('refuses corrections without the admin token, and names what is missing', async () => {
    const anonymous = await api.gql(`mutation { rejectMatch(provider: TMDB, externalId: "86320") }`);
    expect(anonymous.errors![0]!.extensions?.code).toBe('UNAUTHENTICATED');
    const missing = await api.gql(`mutation { confirmMatch(provider: TMDB, externalId: "999999") { id } }`, {}, ADMIN);
    expect(missing.errors![0]!.extensions?.code).toBe('NOT_FOUND');
    const noMovie = await api.gql(
      `mutation { relinkRecord(provider: TMDB, externalId: "86320", movieId: "00000000-0000-4000-8000-000000000000") { id } }`, {}, ADMIN,
    );
    expect(noMovie.errors![0]!.extensions?.code).toBe('NOT_FOUND');
  });
});
