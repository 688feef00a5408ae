import { request } from 'node:http';
import { ensureProviders, insertMovie, metricValue, startTestApi, type TestApi } from '../support/graphql-api.js';

const ADMIN_TOKEN = 'rest-movies-admin-token-0123456789';

describe('REST: GET /movies/:id and GET /movies/by/:provider/:externalId', () => {
  let api: TestApi;
  let harborId: string;
  let bareId: string;

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${api.origin}${path}`, { headers });
  /** A conditional GET as a CDN sends it (fetch would add Cache-Control: no-cache to it, as its spec says). */
  const conditional = (path: string, etag: string) => rawGet(`${api.origin}${path}`, { 'if-none-match': etag });

  beforeAll(async () => {
    api = await startTestApi({ adminToken: ADMIN_TOKEN });
    await ensureProviders(api.db.pool, ['tmdb', 'rottentomatoes']);
    harborId = await insertMovie(api.db.pool, {
      title: 'The Silent Harbor',
      originalTitle: 'Le Port silencieux',
      year: 1994,
      releaseDate: '1994-09-23',
      runtimeMinutes: 142,
      overview: 'Two men in a harbor town.',
      imdbId: 'tt0111161',
      score: { value: 88.5, confidence: 0.9, votes: 2_900_500, providerCount: 2 },
      ratings: [
        { provider: 'imdb', kind: 'users', rawValue: 9.3, rawScale: '1-10', normalized: 92.2, votes: 2_900_000 },
        { provider: 'rottentomatoes', kind: 'critics', rawValue: 91, rawScale: '0-100', normalized: 91, votes: null },
      ],
      genres: [{ name: 'Drama', confidence: 1 }, { name: 'Thriller', confidence: 0.25 }],
      externalIds: [
        { provider: 'imdb', externalId: 'tt0111161' },
        { provider: 'rottentomatoes', externalId: 'm/silent_harbor' },
      ],
    });
    bareId = await insertMovie(api.db.pool, { title: 'Iron Valley', year: 2001 });
  });
  afterAll(() => api.close());

  it('answers the movie with its score and per-provider ratings, as GraphQL movie(id) does', async () => {
    const res = await get(`/movies/${harborId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      id: harborId,
      title: 'The Silent Harbor',
      originalTitle: 'Le Port silencieux',
      year: 1994,
      releaseDate: '1994-09-23',
      runtimeMinutes: 142,
      overview: 'Two men in a harbor town.',
      posterUrl: null,
      // Thriller is below the confidence threshold: not one of the movie's genres.
      genres: ['Drama'],
      score: { value: 88.5, confidence: 0.9, providerCount: 2, votes: 2_900_500 },
      ratings: [
        { provider: 'imdb', kind: 'users', rawValue: 9.3, rawScale: '1-10', normalized: 92.2, votes: 2_900_000 },
        { provider: 'rottentomatoes', kind: 'critics', rawValue: 91, rawScale: '0-100', normalized: 91, votes: null },
      ],
      externalIds: expect.arrayContaining([
        { provider: 'imdb', externalId: 'tt0111161' },
        { provider: 'rottentomatoes', externalId: 'm/silent_harbor' },
      ]) as unknown,
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
    });
    const graphql = await api.gql(
      `query($id: ID!) { movie(id: $id) { title year updatedAt score { value votes } ratings { provider { key } normalized } } }`,
      { id: harborId },
    );
    expect(graphql.data.movie.title).toBe(body.title);
    expect(graphql.data.movie.updatedAt).toBe(body.updatedAt);
    expect(graphql.data.movie.score.value).toBe(88.5);
    expect(graphql.data.movie.ratings.map((r: { provider: { key: string } }) => r.provider.key)).toEqual(['IMDB', 'ROTTEN_TOMATOES']);
    // A movie no provider rates: score null, no ratings.
    const bare = (await (await get(`/movies/${bareId.toUpperCase()}`)).json()) as Record<string, unknown>;
    expect(bare).toMatchObject({ id: bareId, title: 'Iron Valley', score: null, ratings: [], genres: [] });
  });

  it('finds a movie by a provider id, the provider in either spelling and any case', async () => {
    for (const path of [
      '/movies/by/imdb/tt0111161',
      '/movies/by/IMDB/tt0111161',
      `/movies/by/rottentomatoes/${encodeURIComponent('m/silent_harbor')}`,
      `/movies/by/ROTTEN_TOMATOES/${encodeURIComponent('m/silent_harbor')}`,
      `/movies/by/Rotten_Tomatoes/${encodeURIComponent('m/silent_harbor')}`,
    ]) {
      const res = await get(path);
      expect([path, res.status]).toEqual([path, 200]);
      expect(((await res.json()) as { id: string }).id).toBe(harborId);
    }
  });

  it('answers 404 JSON for an unknown movie and 400 JSON for a malformed id or an unknown provider', async () => {
    const unknown = await get('/movies/00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/application\/json/);
    expect(await unknown.json()).toEqual({ error: 'no such movie' });
    expect(unknown.headers.get('cache-control')).toBe('no-store');

    const unknownExternal = await get('/movies/by/imdb/tt9999999');
    expect(unknownExternal.status).toBe(404);
    expect(await unknownExternal.json()).toEqual({ error: 'no such movie' });

    const malformed = await get('/movies/not-a-uuid');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: string }).error).toMatch(/UUID/);

    const provider = await get('/movies/by/netflix/123');
    expect(provider.status).toBe(400);
    expect(((await provider.json()) as { error: string }).error).toMatch(/unknown provider "netflix"; known: imdb, tmdb, rottentomatoes, movielens/);

    const tooLong = await get(`/movies/by/imdb/${'t'.repeat(201)}`);
    expect(tooLong.status).toBe(400);
  });

  it('carries an ETag and Cache-Control, answers 304 to If-None-Match, and a new ETag once the movie changed', async () => {
    const first = await get(`/movies/${harborId}`);
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    expect(first.headers.get('cache-control')).toBe('public, max-age=60');
    expect(first.headers.get('vary')).toMatch(/Authorization/);

    const notModified = await conditional(`/movies/${harborId}`, etag!);
    expect(notModified.status).toBe(304);
    expect(notModified.body).toBe('');

    const byExternal = await get('/movies/by/imdb/tt0111161');
    expect(byExternal.headers.get('etag')).toBe(etag);

    // With credentials the answer is for that client only: no shared cache may keep it.
    const admin = await get(`/movies/${harborId}`, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(admin.headers.get('cache-control')).toBe('private, max-age=60');

    // A change, then the invalidation that follows every committed change (as aggregation does).
    await api.db.pool.query('UPDATE movies SET score_value = 90.1, updated_at = now() WHERE id = $1', [harborId]);
    await api.app.cache.invalidateMovies([harborId]);
    const changed = await conditional(`/movies/${harborId}`, etag!);
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect((JSON.parse(changed.body) as { score: { value: number } }).score.value).toBe(90.1);

    // Timed under their own routes: /movies/by and /movies (the id).
    expect(await metricValue(api.origin, 'moviec_http_request_duration_seconds_count', { route: '/movies/by', status: '200' })).toBeGreaterThan(0);
    expect(await metricValue(api.origin, 'moviec_http_request_duration_seconds_count', { route: '/movies', status: '304' })).toBe(1);
  });
});

/** GET with node:http: exactly the given headers, on a connection of its own (no kept-alive socket the server may be closing). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
