import { ensureProviders, insertMovie, metricValue, startTestApi, type TestApi } from '../support/graphql-api.js';

interface RestResult {
  id: string;
  title: string;
  year: number | null;
  genres: string[];
  score: number | null;
  ratings: { provider: string; kind: string; normalized: number; votes: number | null }[];
}
interface RestBody {
  total: number;
  results: RestResult[];
  nextCursor: string | null;
}

describe('REST: GET /movies/search', () => {
  let api: TestApi;
  const ids: Record<string, string> = {};

  async function search(params: string): Promise<{ status: number; body: RestBody & { error?: string } }> {
    const res = await fetch(`${api.origin}/movies/search?${params}`);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    return { status: res.status, body: (await res.json()) as RestBody & { error?: string } };
  }

  beforeAll(async () => {
    api = await startTestApi();
    await ensureProviders(api.db.pool, ['tmdb']);
    ids.silent = await insertMovie(api.db.pool, {
      title: 'The Silent Harbor',
      year: 1994,
      score: { value: 88.5, confidence: 0.9, votes: 2_900_500, providerCount: 2 },
      ratings: [
        { provider: 'imdb', kind: 'users', rawValue: 9.3, rawScale: '1-10', normalized: 92.2, votes: 2_900_000 },
        { provider: 'tmdb', kind: 'users', rawValue: 8.7, rawScale: '0-10', normalized: 87, votes: 500 },
      ],
      genres: [{ name: 'Drama', confidence: 1 }, { name: 'Thriller', confidence: 0.25 }],
    });
    ids.lights = await insertMovie(api.db.pool, {
      title: 'Harbor Lights',
      year: 2001,
      score: { value: 61, confidence: 0.5, votes: 900, providerCount: 1 },
      ratings: [{ provider: 'imdb', kind: 'users', rawValue: 6.4, rawScale: '1-10', normalized: 60, votes: 900 }],
      genres: [{ name: 'Romance', confidence: 1 }],
    });
    ids.harbor = await insertMovie(api.db.pool, { title: 'Harbor', year: 1950, genres: [{ name: 'Drama', confidence: 1 }] });
    ids.valley = await insertMovie(api.db.pool, { title: 'Iron Valley', year: 1994 });
  });
  afterAll(() => api.close());

  it('answers the contract shape, best match first, the same as GraphQL searchMovies', async () => {
    const { status, body } = await search('query=harbor');
    expect(status).toBe(200);
    expect(body.total).toBe(3);
    expect(body.nextCursor).toBeNull();
    expect(body.results[0]).toEqual({ id: ids.harbor, title: 'Harbor', year: 1950, genres: ['Drama'], score: null, ratings: [] });
    const silent = body.results.find((r) => r.id === ids.silent);
    expect(silent).toEqual({
      id: ids.silent,
      title: 'The Silent Harbor',
      year: 1994,
      // Thriller is below the confidence threshold: not one of the movie's genres.
      genres: ['Drama'],
      score: 88.5,
      ratings: [
        { provider: 'imdb', kind: 'users', normalized: 92.2, votes: 2_900_000 },
        { provider: 'tmdb', kind: 'users', normalized: 87, votes: 500 },
      ],
    });
    const graphql = await api.gql(`{ searchMovies(query: "harbor") { totalCount edges { node { id title year score { value } } } } }`);
    expect(graphql.data.searchMovies.totalCount).toBe(body.total);
    expect(graphql.data.searchMovies.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(body.results.map((r) => r.id));
  });

  it('filters by genres (comma-separated, any of), years, score and votes', async () => {
    expect((await search('query=harbor&genres=romance,%20thriller')).body.results.map((r) => r.id)).toEqual([ids.lights]);
    expect((await search('query=harbor&genres=Drama')).body.total).toBe(2);
    expect((await search('query=harbor&yearFrom=1990&yearTo=1999')).body.results.map((r) => r.id)).toEqual([ids.silent]);
    expect((await search('query=harbor&minScore=70')).body.results.map((r) => r.id)).toEqual([ids.silent]);
    expect((await search('query=harbor&minVotes=500')).body.results.map((r) => r.id).sort()).toEqual([ids.lights, ids.silent].sort());
  });

  it('pages with limit and nextCursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { body: RestBody } = await search(`query=harbor&limit=1${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.body.results).toHaveLength(1);
      expect(page.body.total).toBe(3);
      seen.push(page.body.results[0]!.id);
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual((await search('query=harbor')).body.results.map((r) => r.id));
  });

  it.each([
    ['no query', '', 'Invalid search: query is required'],
    ['an empty query', 'query=%20%20', 'Invalid search: query must not be empty'],
    ['an oversized query', `query=${'a'.repeat(201)}`, 'Invalid search: query must be at most 200 characters'],
    ['limit above 100', 'query=x&limit=101', 'Invalid search: limit must be between 1 and 100'],
    ['limit of 0', 'query=x&limit=0', 'Invalid search: limit must be between 1 and 100'],
    ['a limit that is not a number', 'query=x&limit=ten', 'Invalid search: limit must be a number'],
    ['a fractional limit', 'query=x&limit=2.5', 'Invalid search: limit must be a whole number'],
    ['a repeated parameter', 'query=a&query=b', 'Invalid search: give query once, as plain text'],
    ['a malformed cursor', 'query=x&after=nope', 'Malformed cursor: pass an endCursor or edge cursor from a previous page of the same query'],
    ['a score above 100 and negative votes', 'query=x&minScore=101&minVotes=-1', 'Invalid search: minScore must be between 0 and 100; minVotes must not be negative'],
    ['an inverted year range', 'query=x&yearFrom=2000&yearTo=1990', 'filter.yearFrom must not be after filter.yearTo'],
  ])('answers %s with 400 and a clear message', async (_, params, error) => {
    const { status, body } = await search(params);
    expect(status).toBe(400);
    expect(body).toEqual({ error });
  });

  it.each([
    ["'; DROP TABLE movies; --"],
    ["harbor' OR '1'='1"],
    ['%'],
    ['\\'],
    ['$1'],
  ])('treats %s as text to look for, nothing else', async (query) => {
    const { status, body } = await search(`query=${encodeURIComponent(query)}`);
    expect(status).toBe(200);
    for (const r of body.results) expect(r.title.toLowerCase()).toContain('harbor');
    const { rows } = await api.db.pool.query('SELECT count(*)::int AS n FROM movies');
    expect(rows[0].n).toBe(4);
  });
});

describe('health, readiness and metrics', () => {
  let api: TestApi;

  beforeAll(async () => {
    // The movie cache's own counters: the whole-response cache in front of it (its counters under
    // kind "response") is tested in response-cache.test.ts.
    api = await startTestApi({ responseCache: false });
    await insertMovie(api.db.pool, { title: 'Harbor' });
  });
  afterAll(() => api.close());

  it('answers /healthz and /readyz', async () => {
    expect(await (await fetch(`${api.origin}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${api.origin}/readyz`)).json()).toEqual({ status: 'ok' });
  });

  it('exposes request durations by route and status, cache hits and misses, and job counts in the Prometheus format', async () => {
    await api.gql(`{ searchMovies(query: "harbor") { totalCount } }`);
    await api.gql(`{ searchMovies(query: "harbor") { totalCount } }`);
    await fetch(`${api.origin}/movies/search?query=harbor`);
    await fetch(`${api.origin}/movies/search`);
    // Jobs: two queued imports, one running aggregation, one that failed for good.
    await api.db.pool.query(`SELECT graphile_worker.add_job('ingest', '{}'::json, run_at => now() + interval '1 hour') FROM generate_series(1, 2)`);
    await api.db.pool.query(`SELECT graphile_worker.add_job('aggregate-movie', '{}'::json, job_key => 'a')`);
    await api.db.pool.query(`SELECT graphile_worker.add_job('aggregate-movie', '{}'::json, job_key => 'b', max_attempts => 1)`);
    await api.db.pool.query(
      `UPDATE graphile_worker._private_jobs SET locked_at = now(), locked_by = 'test' WHERE key = 'a'`,
    );
    await api.db.pool.query(
      `UPDATE graphile_worker._private_jobs SET attempts = 1, last_error = 'boom' WHERE key = 'b'`,
    );

    const res = await fetch(`${api.origin}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^# HELP moviec_http_request_duration_seconds /m);
    expect(await metricValue(api.origin, 'moviec_http_request_duration_seconds_count', { route: '/graphql', status: '200', method: 'POST' })).toBe(2);
    expect(await metricValue(api.origin, 'moviec_http_request_duration_seconds_count', { route: '/movies/search', status: '200' })).toBe(1);
    expect(await metricValue(api.origin, 'moviec_http_request_duration_seconds_count', { route: '/movies/search', status: '400' })).toBe(1);
    expect(await metricValue(api.origin, 'moviec_cache_misses_total', { kind: 'search-count' })).toBe(1);
    expect(await metricValue(api.origin, 'moviec_cache_hits_total', { kind: 'search-count' })).toBe(2);
    expect(await metricValue(api.origin, 'moviec_cache_errors_total')).toBe(0);
    expect(await metricValue(api.origin, 'moviec_jobs', { task: 'ingest', state: 'queued' })).toBe(2);
    expect(await metricValue(api.origin, 'moviec_jobs', { task: 'aggregate-movie', state: 'running' })).toBe(1);
    expect(await metricValue(api.origin, 'moviec_jobs', { task: 'aggregate-movie', state: 'failed' })).toBe(1);
    expect(text).toMatch(/^moviec_process_cpu_seconds_total /m);
  });
});
