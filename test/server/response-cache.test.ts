import { createHash } from 'node:crypto';
import { request } from 'node:http';
import type pg from 'pg';
import { createMemoryCache, openCache, type MovieCache } from '../../src/cache/index.js';
import { RedisStore } from '../../src/cache/redis-store.js';
import { createLogger } from '../../src/logger.js';
import { createApp } from '../../src/server/app.js';
import { queueImport } from '../../src/services/import.js';
import { invalidateThrough } from '../../src/services/aggregation.js';
import { createTaskList } from '../../src/workers/tasks.js';
import { countStatements, metricValue, startTestApi, statementsDuring, type TestApi } from '../support/graphql-api.js';
import { runJobsOnce } from '../support/jobs.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles, type Title } from '../support/imdb-files.js';
import { redisCommandCalls, testRedis, uniquePrefix } from '../support/redis.js';

const ADMIN_TOKEN = 'response-cache-admin-token-0123';

const MOVIE = 'query Movie($id: ID!) { movie(id: $id) { id title year score { value votes } genres { name } } }';
const TOP = '{ movies(first: 10, orderBy: SCORE_DESC) { edges { node { id title score { value } } } } }';

const HARBOR: Title = { tconst: 'tt0200001', title: 'Harbor Lights', year: 1994, genres: ['Drama'] };
const VALLEY: Title = { tconst: 'tt0200002', title: 'Iron Valley', year: 2001, genres: ['Western'] };

/** Imports IMDb files through the real worker tasks, which invalidate through the cache after aggregating. */
async function importThroughWorker(pool: pg.Pool, cache: MovieCache, titles: Title[], ratings: [string, number, number][]) {
  const files = await writeFiles(await tempDir(), { 'b.tsv': basicsTsv(titles), 'r.tsv': ratingsTsv(ratings) });
  const runId = await queueImport(pool, 'imdb', { basics: files['b.tsv']!, ratings: files['r.tsv']! }, 'cli');
  const taskList = createTaskList({ pool, logger: createLogger('silent'), invalidate: invalidateThrough(cache) });
  await runJobsOnce(pool, taskList);
  const { rows } = await pool.query<{ status: string }>('SELECT status FROM import_runs WHERE id = $1', [runId]);
  expect(rows[0]!.status).toBe('SUCCEEDED');
}

/** Waits until a condition holds (a message heard on another connection); fails after 5 s. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A request with exactly these headers (fetch would add Cache-Control: no-cache to a conditional GET),
 * on a connection of its own: a kept-alive socket idle for the server's 5 s keep-alive timeout (a
 * schema build holding this process's event loop on a busy machine) is closed by the server just as
 * the agent reuses it (ECONNRESET, seen at load ~12).
 */
function raw(url: string, { method = 'GET', headers = {}, body }: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('whole-response cache and HTTP caching of GraphQL queries (Redis)', () => {
  let redis: { url: string; stop(): Promise<void> };
  let cache: MovieCache;
  let api: TestApi;
  let harborId: string;

  const post = (query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) =>
    raw(api.server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  const get = (params: Record<string, string>, headers: Record<string, string> = {}) =>
    raw(`${api.server.url}?${new URLSearchParams(params).toString()}`, { headers });
  const responseHits = () => metricValue(api.origin, 'moviec_cache_hits_total', { kind: 'response' });

  beforeAll(async () => {
    redis = await testRedis();
    api = await startTestApi(async (db) => {
      cache = await openCache({ redisUrl: redis.url, ttlSeconds: 60, pool: db.pool, keyPrefix: uniquePrefix() });
      return { cache, adminToken: ADMIN_TOKEN };
    });
    await importThroughWorker(api.db.pool, cache, [HARBOR, VALLEY], [['tt0200001', 7.0, 5000], ['tt0200002', 6.0, 3000]]);
    harborId = (await api.db.pool.query<{ id: string }>('SELECT id FROM movies WHERE imdb_id = $1', [HARBOR.tconst])).rows[0]!.id;
  });
  afterAll(async () => {
    await api.close();
    await cache.close();
    await redis.stop();
  });

  it('answers a repeated query from the stored response: no statement, no resolver, the same bytes', async () => {
    const first = await post(MOVIE, { id: harborId });
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toEqual({
      data: { movie: { id: harborId, title: 'Harbor Lights', year: 1994, score: expect.objectContaining({ votes: 5000 }) as unknown, genres: [{ name: 'Drama' }] } },
    });
    const hits = await responseHits();
    let second: RawResponse | undefined;
    const statements = await countStatements(async () => {
      second = await post(MOVIE, { id: harborId });
    });
    expect(statements).toBe(0);
    expect(await responseHits()).toBe(hits + 1);
    expect(second!.body).toBe(first.body);
    expect(second!.headers['content-type']).toBe(first.headers['content-type']);
    expect(second!.headers.etag).toBe(first.headers.etag);
    expect(second!.headers['cache-control']).toBe('public, max-age=60');
  });

  it('answers a repeated query from the answer kept in this process once it follows the bumps: no read of it from Redis', async () => {
    expect(await cache.followVersions()).toBe(true);
    const first = await post(MOVIE, { id: harborId });
    await post(MOVIE, { id: harborId });
    const before = await redisCommandCalls(redis.url);
    let again: RawResponse | undefined;
    const statements = await countStatements(async () => {
      again = await post(MOVIE, { id: harborId });
    });
    const after = await redisCommandCalls(redis.url);
    expect(statements).toBe(0);
    expect(again!.body).toBe(first.body);
    expect(again!.headers.etag).toBe(first.headers.etag);
    // Neither the answer nor its versions were read: only the bump barrier (one GET) was asked.
    expect(after.mget ?? 0).toBe(before.mget ?? 0);
    expect((after.get ?? 0) - (before.get ?? 0)).toBe(1);
  });

  it('computes a miss it knows of without asking Redis: its stored answer is under versions a bump replaced', async () => {
    expect(await cache.followVersions()).toBe(true);
    const first = await post(MOVIE, { id: harborId });
    await post(MOVIE, { id: harborId });
    // As `moviec aggregate --all` does; this process hears its own bump at once.
    await cache.invalidateAll();
    const before = await redisCommandCalls(redis.url);
    let again: RawResponse | undefined;
    const statements = await countStatements(async () => {
      again = await post(MOVIE, { id: harborId });
    });
    const after = await redisCommandCalls(redis.url);
    // Computed again (nothing stored is under the new versions), with neither a read nor a barrier.
    expect(statements).toBeGreaterThan(0);
    expect(after.mget ?? 0).toBe(before.mget ?? 0);
    expect(after.get ?? 0).toBe(before.get ?? 0);
    expect(again!.status).toBe(200);
    expect(again!.body).toBe(first.body);
    expect(again!.headers.etag).toBe(first.headers.etag);
    // And stored under the new versions: the next request is answered without a statement.
    expect(await countStatements(() => post(MOVIE, { id: harborId }))).toBe(0);
  });

  it("hears the answers other processes store: a key's latest tag, known to every process that follows", async () => {
    const prefix = uniquePrefix();
    const one = new RedisStore({ url: redis.url, prefix });
    const other = new RedisStore({ url: redis.url, prefix });
    try {
      await Promise.all([one.followVersions(), other.followVersions()]);
      expect(one.storedTag('response:k')).toBeUndefined();
      // A read that found nothing.
      one.learnStored('response:k', null, one.epoch);
      expect(one.storedTag('response:k')).toBeNull();
      await other.set([['response:k', '7,8\nanswer']], 60, ['7,8']);
      // Known at once to the process that wrote it, and heard by the other one.
      expect(other.storedTag('response:k')).toBe('7,8');
      await until(() => one.storedTag('response:k') === '7,8');
      expect(await one.mget(['response:k'])).toEqual(['7,8\nanswer']);
      await other.set([['response:k', '9,8\nnewer']], 60, ['9,8']);
      await until(() => one.storedTag('response:k') === '9,8');
      // Writes without tags (per-movie entries) are not announced.
      await other.set([['movie:x', '{}']], 60);
      expect(other.storedTag('movie:x')).toBeUndefined();
    } finally {
      await one.close();
      await other.close();
    }
    // Closed, it follows nothing: nothing is known.
    expect(one.storedTag('response:k')).toBeUndefined();
  });

  it('never answers what an aggregation job replaced: read, change through the worker, read again', async () => {
    // Both hot shapes cached: the movie by id and the top movies page.
    await post(MOVIE, { id: harborId });
    await post(TOP);
    const warm = await countStatements(async () => {
      await post(MOVIE, { id: harborId });
      await post(TOP);
    });
    expect(warm).toBe(0);
    // Both are answered from this process's own copies now (no read of them from Redis).
    const before = await redisCommandCalls(redis.url);
    await post(MOVIE, { id: harborId });
    await post(TOP);
    expect((await redisCommandCalls(redis.url)).mget ?? 0).toBe(before.mget ?? 0);
    const top = (body: string) => (JSON.parse(body) as { data: { movies: { edges: { node: { title: string } }[] } } }).data.movies.edges.map((e) => e.node.title);
    expect(top((await post(TOP)).body)).toEqual(['Harbor Lights', 'Iron Valley']);

    // The worker's aggregation job rewrites both movies, then invalidates them.
    await importThroughWorker(
      api.db.pool,
      cache,
      [{ ...HARBOR, title: 'Harbor Lights Redux' }, VALLEY],
      [['tt0200001', 3.0, 9000], ['tt0200002', 9.0, 3000]],
    );

    const movie = JSON.parse((await post(MOVIE, { id: harborId })).body) as { data: { movie: { title: string; score: { votes: number } } } };
    expect(movie.data.movie).toMatchObject({ title: 'Harbor Lights Redux', score: { votes: 9000 } });
    expect(top((await post(TOP)).body)).toEqual(['Iron Valley', 'Harbor Lights Redux']);
  });

  it('serves queries over GET with ETag and Cache-Control, and 304 Not Modified on If-None-Match', async () => {
    const params = { query: MOVIE, variables: JSON.stringify({ id: harborId }), operationName: 'Movie' };
    const first = await get(params);
    expect(first.status).toBe(200);
    expect(first.headers['cache-control']).toBe('public, max-age=60');
    expect(first.headers.vary).toMatch(/Authorization/);
    const etag = first.headers.etag as string;
    expect(etag).toBeTruthy();
    const again = await get(params, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');

    // After a change the same conditional request gets the new answer and a new ETag.
    await api.db.pool.query(`UPDATE movies SET title = 'Harbor Lights (restored)' WHERE id = $1`, [harborId]);
    // Until the invalidation the stored answer stands (so what follows proves the invalidation works).
    expect((await get(params, { 'if-none-match': etag })).status).toBe(304);
    await cache.invalidateMovies([harborId]);
    const changed = await get(params, { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(changed.body).toContain('Harbor Lights (restored)');
  });

  it('takes automatic persisted queries: the hash alone over GET once the query is registered', async () => {
    const query = '{ movies(first: 2) { edges { node { title } } } }';
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash } });
    const unknown = JSON.parse((await get({ extensions })).body) as { errors: { extensions: { code: string } }[] };
    expect(unknown.errors[0]!.extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');

    const registered = await raw(api.server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, extensions: JSON.parse(extensions) as unknown }),
    });
    expect(registered.status).toBe(200);
    const byHash = await get({ extensions });
    expect(byHash.status).toBe(200);
    expect(JSON.parse(byHash.body)).toEqual(JSON.parse(registered.body));
    expect(byHash.headers['cache-control']).toBe('public, max-age=60');
    const hits = await responseHits();
    const notModified = await get({ extensions }, { 'if-none-match': byHash.headers.etag as string });
    expect(notModified.status).toBe(304);
    expect(await responseHits()).toBe(hits + 1);
  });

  it('keeps answers for a client with credentials private, and stores nothing uncacheable', async () => {
    const admin = await post(MOVIE, { id: harborId }, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(admin.headers['cache-control']).toBe('private, max-age=60');
    // Import runs have no cache hint: no-store, every time from the database.
    const runs = '{ importRuns(first: 1) { status } }';
    expect((await post(runs)).headers['cache-control']).toBe('no-store');
    const statements = await countStatements(() => post(runs));
    expect(statements).toBeGreaterThan(0);
    // Provider.lastRun is live too: it makes an otherwise cacheable answer uncacheable.
    expect((await post('{ providers { key lastRun { status } } }')).headers['cache-control']).toBe('no-store');
    expect((await post('{ providers { key name } }')).headers['cache-control']).toBe('public, max-age=60');
  });

  it('never runs a mutation over GET, and answers mutations no-store', async () => {
    const mutation = `mutation { recomputeMovie(id: "${harborId}") { id } }`;
    const overGet = await get({ query: mutation }, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(overGet.status).toBe(405);
    const overPost = await post(mutation, undefined, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(overPost.status).toBe(200);
    expect(overPost.headers['cache-control']).toBe('no-store');
  });

  it('keeps refusing operations over the limits, however often they come', async () => {
    const deep = `{ movies { edges { node { ratings { provider { lastRun { provider { lastRun { provider { lastRun { provider { lastRun { provider { name } } } } } } } } } } } } } }`;
    for (let i = 0; i < 2; i++) {
      const res = await post(deep);
      expect(res.status).toBe(400);
      expect((JSON.parse(res.body) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('QUERY_TOO_COMPLEX');
    }
  });

  it('computes a known document for another movie as Apollo does: the same bytes and headers, stored for the next request', async () => {
    const valleyId = (await api.db.pool.query<{ id: string }>('SELECT id FROM movies WHERE imdb_id = $1', [VALLEY.tconst])).rows[0]!.id;
    const query = 'query Pair($id: ID!) { movie(id: $id) { id title year runtimeMinutes score { value confidence } genres { name confidence } } }';
    // An API without the response cache, where Apollo computes every answer. Started first: building
    // its schema holds the event loop long enough to time out a cache write of the requests below.
    const plain = await createApp({ pool: api.db.pool, cache: createMemoryCache(60), responseCache: false, website: false, playground: false });
    const server = await plain.start(0, '127.0.0.1');
    try {
      // The first request of the document in this process goes through Apollo, which learns its plan.
      expect((await post(query, { id: harborId })).status).toBe(200);
      const computed = await post(query, { id: valleyId });
      const statements = await statementsDuring(() => post(query, { id: valleyId }));
      expect(statements).toEqual([]);
      const reference = await raw(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables: { id: valleyId } }) });
      expect(computed.status).toBe(200);
      expect(computed.body).toBe(reference.body);
      expect(computed.headers['content-type']).toBe(reference.headers['content-type']);
      expect(computed.headers.etag).toBe(reference.headers.etag);
      expect(computed.headers['cache-control']).toBe(reference.headers['cache-control']);
      expect(computed.headers.vary).toBe(reference.headers.vary);
    } finally {
      await server.close();
      await plain.cache.close();
    }
  });

  it('leaves a known document whose answer has errors to Apollo: its status and error codes', async () => {
    const query = 'query Find($q: String!) { searchMovies(query: $q, first: 5) { edges { node { title } } } }';
    expect((await post(query, { q: 'Harbor' })).status).toBe(200);
    const refused = await post(query, { q: '' });
    expect(refused.status).toBe(400);
    expect((JSON.parse(refused.body) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(refused.headers['cache-control']).toBe('no-store');
    const nul = await post(query, { q: 'Har\u0000bor' });
    expect(nul.status).toBe(400);
    expect((JSON.parse(nul.body) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('keeps a plan per operation of a document: a list asked by name depends on every movie change', async () => {
    const valleyId = (await api.db.pool.query<{ id: string }>('SELECT id FROM movies WHERE imdb_id = $1', [VALLEY.tconst])).rows[0]!.id;
    const both = 'query One($id: ID!) { movie(id: $id) { title } } query Page { movies(first: 5, orderBy: TITLE_ASC) { edges { node { id title } } } }';
    const ask = (operationName: string) =>
      raw(api.server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: both, operationName, variables: { id: harborId } }) });
    const titles = async () => (JSON.parse((await ask('Page')).body) as { data: { movies: { edges: { node: { title: string } }[] } } }).data.movies.edges.map((e) => e.node.title);
    // The movie's version and the lists' version differ from here on.
    await cache.invalidateMovies([valleyId]);
    // Each operation asked in turn, so that a plan kept per document (not per operation) would be
    // the movie's when the list is asked again: its answer would then depend on that movie alone.
    expect((await ask('One')).status).toBe(200);
    expect(await titles()).toContain('Iron Valley');
    expect((await ask('One')).status).toBe(200);
    expect(await titles()).toContain('Iron Valley');
    await api.db.pool.query(`UPDATE movies SET title = 'Iron Valley (restored)' WHERE id = $1`, [valleyId]);
    await cache.invalidateMovies([valleyId]);
    expect(await titles()).toContain('Iron Valley (restored)');
  });

  it('leaves malformed and over-deep variables of a cached query to Apollo: 400, never a 500', async () => {
    await post(MOVIE, { id: harborId });
    // Written as text: 20,000 levels are beyond JSON.stringify's own stack.
    const deep = `${'['.repeat(20_000)}"x"${']'.repeat(20_000)}`;
    const body = `{"query": ${JSON.stringify(MOVIE)}, "variables": {"id": "${harborId}", "deep": ${deep}}}`;
    const res = await raw(api.server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(400);
    const overGet = await get({ query: MOVIE, variables: '{"id": ' });
    expect(overGet.status).toBe(400);
  });
});
