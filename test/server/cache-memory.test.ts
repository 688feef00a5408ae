import { openConfiguredCache, type MovieCache } from '../../src/cache/index.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { countStatements, insertMovie, metricValue, startTestApi, type TestApi } from '../support/graphql-api.js';

const MOVIE = `query ($id: ID!) { movie(id: $id) { title genres { name } } }`;

async function waitFor(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('in-process LRU cache (REDIS_URL unset)', () => {
  let api: TestApi;
  let cache: MovieCache;
  let movieId: string;
  let otherId: string;

  beforeAll(async () => {
    api = await startTestApi(async (db) => {
      // Exactly what `npm start` and `moviec serve` open from the configuration, listening for other processes' changes.
      cache = await openConfiguredCache({ config: loadConfig({}), pool: db.pool, logger: createLogger('silent') }, true);
      // The movie cache on its own: the whole-response cache in front of it is tested in response-cache.test.ts.
      return { cache, responseCache: false };
    });
    movieId = await insertMovie(api.db.pool, { title: 'Paper Moon', genres: [{ name: 'Comedy', confidence: 1 }] });
    otherId = await insertMovie(api.db.pool, { title: 'Glass Harbor' });
  });
  afterAll(async () => {
    // The LISTEN connection goes back to the pool first, or the pool cannot end.
    await cache.close();
    await api.close();
  });

  it('is the in-process cache when REDIS_URL is unset', () => {
    expect(loadConfig({}).REDIS_URL).toBeUndefined();
    expect(cache.kind).toBe('memory');
  });

  it('answers a repeated lookup and search from memory', async () => {
    const first = await api.gql(MOVIE, { id: movieId });
    expect(first.data.movie).toEqual({ title: 'Paper Moon', genres: [{ name: 'Comedy' }] });
    const hits = await metricValue(api.origin, 'moviec_cache_hits_total', { kind: 'movie' });
    expect(await countStatements(() => api.gql(MOVIE, { id: movieId }))).toBe(0);
    expect(await metricValue(api.origin, 'moviec_cache_hits_total', { kind: 'movie' })).toBe(hits + 1);

    const search = `{ searchMovies(query: "glass harbour") { totalCount edges { node { title } } } }`;
    const found = await api.gql(search);
    expect(found.data.searchMovies).toEqual({ totalCount: 1, edges: [{ node: { title: 'Glass Harbor' } }] });
    expect(await countStatements(() => api.gql(search))).toBe(0);
  });

  it("stores a search's ranking with its first page: another page of it sends only the page's rows", async () => {
    const page = (first: number) => `{ searchMovies(query: "paper", first: ${first}) { edges { node { title } } } }`;
    expect((await api.gql(page(1))).data.searchMovies.edges).toEqual([{ node: { title: 'Paper Moon' } }]);
    // The ranking came from the same write as the first page: one statement, the rows of the new page.
    expect(await countStatements(() => api.gql(page(2)))).toBe(1);
    expect(await countStatements(() => api.gql(page(2)))).toBe(0);
    // totalCount reads the ranking (a word matched: then its count, cached per search).
    const counted = `{ searchMovies(query: "paper", first: 1) { totalCount } }`;
    expect((await api.gql(counted)).data.searchMovies.totalCount).toBe(1);
    expect(await countStatements(() => api.gql(counted))).toBe(0);
  });

  it("follows another process's changes told through PostgreSQL NOTIFY", async () => {
    await api.gql(MOVIE, { id: movieId });
    await api.db.pool.query(`UPDATE movies SET title = 'Paper Moon (1973)' WHERE id = $1`, [movieId]);
    // What a `moviec worker` without Redis publishes after aggregating.
    await api.db.pool.query(`SELECT pg_notify('moviec_movies_changed', $1)`, [`another-process ${movieId}`]);
    await waitFor(async () => (await api.gql(MOVIE, { id: movieId })).data.movie.title === 'Paper Moon (1973)');
  });

  it("drops everything when another process says every movie may have changed (moviec aggregate --all)", async () => {
    await api.gql(MOVIE, { id: otherId });
    await api.db.pool.query(`UPDATE movies SET title = 'Glass Harbour' WHERE id = $1`, [otherId]);
    await api.db.pool.query(`SELECT pg_notify('moviec_movies_changed', 'another-process *')`);
    await waitFor(async () => (await api.gql(MOVIE, { id: otherId })).data.movie.title === 'Glass Harbour');
  });

  it('invalidates its own entries at once when this process changes a movie', async () => {
    await api.gql(MOVIE, { id: movieId });
    await api.db.pool.query(`UPDATE movies SET title = 'Paper Moon' WHERE id = $1`, [movieId]);
    expect((await api.gql(MOVIE, { id: movieId })).data.movie.title).toBe('Paper Moon (1973)');
    await cache.invalidateMovies([movieId]);
    expect((await api.gql(MOVIE, { id: movieId })).data.movie.title).toBe('Paper Moon');
  });
});
