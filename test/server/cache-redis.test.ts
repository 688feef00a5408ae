import type pg from 'pg';
import { openCache, type MovieCache } from '../../src/cache/index.js';
import { queueImport } from '../../src/services/import.js';
import { createLogger } from '../../src/logger.js';
import { invalidateThrough, type Invalidate } from '../../src/services/aggregation.js';
import { createTaskList } from '../../src/workers/tasks.js';
import { countStatements, insertMovie, statementsDuring, metricValue, startTestApi, type GraphQLResponse, type TestApi } from '../support/graphql-api.js';
import { runJobsOnce } from '../support/jobs.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles, type Title } from '../support/imdb-files.js';
import { capturingLogger } from '../support/log-capture.js';
import { RedisServer, redisClient, testRedis, uniquePrefix } from '../support/redis.js';


const BY_IMDB = `query ($imdbId: String!) {
  movieByExternalId(provider: IMDB, externalId: $imdbId) {
    id title year
    score { value votes providerCount }
    ratings { provider { key } rawValue normalized votes }
    titles { title }
    genres { name }
    externalIds { externalId }
  }
}`;
const SEARCH = `query ($q: String!) { searchMovies(query: $q, first: 10) { totalCount edges { node { id title score { value } } } } }`;
const TOP = `{ movies(first: 10) { totalCount edges { node { title score { value } } } } }`;

/** Imports IMDb files through the real worker tasks; `invalidate` is what the worker calls after aggregation. */
async function importThroughWorker(pool: pg.Pool, titles: Title[], ratings: [string, number, number][], invalidate?: Invalidate) {
  const files = await writeFiles(await tempDir(), { 'b.tsv': basicsTsv(titles), 'r.tsv': ratingsTsv(ratings) });
  const runId = await queueImport(pool, 'imdb', { basics: files['b.tsv']!, ratings: files['r.tsv']! }, 'cli');
  const taskList = createTaskList({ pool, logger: createLogger('silent'), ...(invalidate ? { invalidate } : {}) });
  await runJobsOnce(pool, taskList);
  const { rows } = await pool.query<{ status: string }>('SELECT status FROM import_runs WHERE id = $1', [runId]);
  expect(rows[0]!.status).toBe('SUCCEEDED');
}

const HARBOR: Title = { tconst: 'tt0100001', title: 'Harbor Lights', year: 1994, genres: ['Drama'] };
const VALLEY: Title = { tconst: 'tt0100002', title: 'Iron Valley', year: 2001, genres: ['Western'] };

describe('Redis cache-aside (REDIS_URL, or a redis-server of this test)', () => {
  let redis: { url: string; stop(): Promise<void> };
  let cache: MovieCache;
  let api: TestApi;
  const prefix = uniquePrefix();

  beforeAll(async () => {
    redis = await testRedis();
    api = await startTestApi(async (db) => {
      cache = await openCache({ redisUrl: redis.url, ttlSeconds: 60, pool: db.pool, keyPrefix: prefix });
      // The movie cache on its own: the whole-response cache in front of it is tested in response-cache.test.ts.
      return { cache, responseCache: false };
    });
    await importThroughWorker(api.db.pool, [HARBOR, VALLEY], [['tt0100001', 7.0, 5000], ['tt0100002', 6.0, 3000]]);
  });
  afterAll(async () => {
    await api.close();
    await cache.close();
    await redis.stop();
  });

  it('is a Redis cache', () => {
    expect(cache.kind).toBe('redis');
  });

  it('answers a repeated movie lookup from Redis: a miss first, then a hit that needs no movie statement', async () => {
    const hitsBefore = await metricValue(api.origin, 'moviec_cache_hits_total', { kind: 'movie' });
    const missesBefore = await metricValue(api.origin, 'moviec_cache_misses_total', { kind: 'movie' });
    let first: GraphQLResponse | undefined;
    const cold = await countStatements(async () => {
      first = await api.gql(BY_IMDB, { imdbId: HARBOR.tconst });
    });
    expect(first!.errors).toBeUndefined();
    expect(first!.data.movieByExternalId).toMatchObject({
      title: 'Harbor Lights',
      year: 1994,
      ratings: [{ provider: { key: 'IMDB' }, rawValue: 7, votes: 5000 }],
      genres: [{ name: 'Drama' }],
      externalIds: [{ externalId: 'tt0100001' }],
    });
    expect(await metricValue(api.origin, 'moviec_cache_misses_total', { kind: 'movie' })).toBe(missesBefore + 1);

    let second: GraphQLResponse | undefined;
    const warm = await statementsDuring(async () => {
      second = await api.gql(BY_IMDB, { imdbId: HARBOR.tconst });
    });
    expect(second!.data).toEqual(first!.data);
    // Cold: id lookup, movie, ratings, titles, genres, external ids, providers. Warm: the providers
    // table at most. Statements of the process's own background work (a timer that happens to fire
    // during the request on a busy machine) may be counted too, so the warm side names the tables.
    expect(cold).toBeGreaterThanOrEqual(6);
    expect(warm.filter((text) => /\b(movies|ratings|movie_titles|movie_genres|genres|provider_records)\b/.test(text))).toEqual([]);
    expect(await metricValue(api.origin, 'moviec_cache_hits_total', { kind: 'movie' })).toBe(hitsBefore + 1);

    // The entries are in Redis, under this deployment's prefix, with a TTL.
    const client = redisClient(redis.url);
    try {
      const key = `${prefix}movie:${first!.data.movieByExternalId.id}`;
      expect(await client.exists(key)).toBe(1);
      const ttl = await client.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60);
    } finally {
      client.disconnect();
    }
  });

  it('answers a repeated search page and its count from Redis', async () => {
    const hitsBefore = await metricValue(api.origin, 'moviec_cache_hits_total', { kind: 'search-page' });
    let first: GraphQLResponse | undefined;
    await countStatements(async () => {
      first = await api.gql(SEARCH, { q: 'harbour lights' });
    });
    expect(first!.data.searchMovies).toMatchObject({ totalCount: 1, edges: [{ node: { title: 'Harbor Lights' } }] });
    let second: GraphQLResponse | undefined;
    const warm = await countStatements(async () => {
      second = await api.gql(SEARCH, { q: 'harbour lights' });
    });
    expect(second!.data).toEqual(first!.data);
    expect(warm).toBe(0);
    expect(await metricValue(api.origin, 'moviec_cache_hits_total', { kind: 'search-page' })).toBe(hitsBefore + 1);
    expect(await metricValue(api.origin, 'moviec_cache_hits_total', { kind: 'search-count' })).toBeGreaterThanOrEqual(1);
  });

  it('serves no stale answer once aggregation has committed a change (the worker invalidates)', async () => {
    // Warm every kind of entry, and prove the next answers come from the cache alone.
    await api.gql(BY_IMDB, { imdbId: HARBOR.tconst });
    await api.gql(SEARCH, { q: 'harbor' });
    await api.gql(TOP);
    const warm = await countStatements(async () => {
      await api.gql(BY_IMDB, { imdbId: HARBOR.tconst });
      await api.gql(SEARCH, { q: 'harbor' });
      await api.gql(TOP);
    });
    expect(warm).toBeLessThanOrEqual(1);
    const before = (await api.gql(TOP)).data.movies.edges.map((e: { node: { title: string } }) => e.node.title);
    expect(before).toEqual(['Harbor Lights', 'Iron Valley']);

    // A new file: Harbor gets a new title and a worse rating, Iron Valley a better one.
    const renamed = { ...HARBOR, title: 'Harbor Lights Redux' };
    await importThroughWorker(api.db.pool, [renamed, VALLEY], [['tt0100001', 3.0, 9000], ['tt0100002', 9.0, 3000]], invalidateThrough(cache));

    const movie = (await api.gql(BY_IMDB, { imdbId: HARBOR.tconst })).data.movieByExternalId;
    expect(movie).toMatchObject({ title: 'Harbor Lights Redux', ratings: [{ rawValue: 3, votes: 9000 }] });
    const search = (await api.gql(SEARCH, { q: 'redux' })).data.searchMovies;
    expect(search).toMatchObject({ totalCount: 1, edges: [{ node: { title: 'Harbor Lights Redux' } }] });
    const after = (await api.gql(TOP)).data.movies.edges.map((e: { node: { title: string } }) => e.node.title);
    expect(after).toEqual(['Iron Valley', 'Harbor Lights Redux']);
  });

  it('would serve the cached answer without the invalidation (so the test above proves something)', async () => {
    await api.gql(BY_IMDB, { imdbId: VALLEY.tconst });
    await importThroughWorker(api.db.pool, [{ ...VALLEY, title: 'Iron Valley Returns' }], [['tt0100002', 9.0, 3000]]);
    expect((await api.gql(BY_IMDB, { imdbId: VALLEY.tconst })).data.movieByExternalId.title).toBe('Iron Valley');
    const { rows } = await api.db.pool.query<{ id: string }>(`SELECT id FROM movies WHERE imdb_id = $1`, [VALLEY.tconst]);
    await cache.invalidateMovies([rows[0]!.id]);
    expect((await api.gql(BY_IMDB, { imdbId: VALLEY.tconst })).data.movieByExternalId.title).toBe('Iron Valley Returns');
  });
});

describe('Redis stopped mid-traffic', () => {
  let redis: RedisServer;
  let cache: MovieCache;
  let api: TestApi;
  let movieId: string;
  const log = capturingLogger('info');
  const query = `query ($id: ID!) { movie(id: $id) { title ratings { normalized } } }`;

  beforeAll(async () => {
    // Always a server of this test's own: it is stopped and restarted.
    redis = await RedisServer.start();
    api = await startTestApi(async (db) => {
      cache = await openCache({ redisUrl: redis.url, ttlSeconds: 60, pool: db.pool, keyPrefix: uniquePrefix(), logger: log.logger });
      // The movie cache on its own: the whole-response cache in front of it is tested in response-cache.test.ts.
      return { cache, logger: log.logger, responseCache: false };
    });
    movieId = await insertMovie(api.db.pool, {
      title: 'Lighthouse',
      ratings: [{ provider: 'imdb', kind: 'users', rawValue: 8, rawScale: '1-10', normalized: 77.8, votes: 100 }],
    });
  });
  afterAll(async () => {
    await api.close();
    await cache.close();
    await redis.stop();
  });

  const hits = () => metricValue(api.origin, 'moviec_cache_hits_total', { kind: 'movie' });
  const errors = () => metricValue(api.origin, 'moviec_cache_errors_total');

  it('keeps answering from the database, warns and counts, then caches again when Redis is back', async () => {
    await api.gql(query, { id: movieId });
    const hitsWarm = await hits();
    expect((await api.gql(query, { id: movieId })).data.movie.title).toBe('Lighthouse');
    expect(await hits()).toBe(hitsWarm + 1);

    await redis.stop();
    const errorsBefore = await errors();
    // A change while Redis is down: its invalidation cannot reach Redis and is kept for later.
    await api.db.pool.query(`UPDATE movies SET title = 'Lighthouse (restored)' WHERE id = $1`, [movieId]);
    await cache.invalidateMovies([movieId]);
    for (let i = 0; i < 5; i++) {
      const res = await api.gql(query, { id: movieId });
      expect(res.errors).toBeUndefined();
      expect(res.data.movie).toEqual({ title: 'Lighthouse (restored)', ratings: [{ normalized: 77.8 }] });
    }
    expect(await errors()).toBeGreaterThanOrEqual(errorsBefore + 5);
    const warnings = log.lines().filter((l) => l.level === 40 && l.msg === 'cache unavailable: answering from the database');
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings[0]).toMatchObject({ store: 'redis' });

    await redis.restart();
    // ioredis reconnects by itself (backing off up to 2 s); then the answers are cached again.
    const deadline = Date.now() + 15_000;
    let hitsNow = await hits();
    while (Date.now() < deadline) {
      const res = await api.gql(query, { id: movieId });
      expect(res.data.movie.title).toBe('Lighthouse (restored)');
      if ((await hits()) > hitsNow) break;
      hitsNow = await hits();
      await new Promise((r) => setTimeout(r, 200));
    }
    const warm = await countStatements(() => api.gql(query, { id: movieId }));
    expect(warm).toBe(0);
    expect(log.lines().some((l) => l.msg === 'cache available again')).toBe(true);
  });
});
