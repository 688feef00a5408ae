import type pg from 'pg';
import { openCache, type MovieCache } from '../../src/cache/index.js';
import { loadConfig } from '../../src/config.js';
import { createPool } from '../../src/db/pool.js';
import { createApp, type RunningServer } from '../../src/server/app.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertMovie, postGraphQL } from '../support/graphql-api.js';

const ADMIN_TOKEN = 'read-replica-admin-token-012345';

/** Every statement a pool sends (pool.query and checked-out clients), by SQL text. */
function recorded(pool: pg.Pool): string[] {
  const statements: string[] = [];
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const text = args[0];
    statements.push(typeof text === 'string' ? text : String((text as { text?: string }).text));
    return query(...args);
  };
  pool.on('acquire', () => statements.push('(client checked out)'));
  return statements;
}

describe('reads on a replica (DATABASE_READ_URL), writes and invalidation on the primary', () => {
  let db: TestDatabase;
  let readPool: pg.Pool;
  let cache: MovieCache;
  let server: RunningServer;
  let origin: string;
  let movieId: string;
  let primary: string[];
  let replica: string[];

  beforeAll(async () => {
    db = await createTestDatabase();
    // The "replica": the same server under another application_name, read-only (as a hot standby is).
    const readUrl = new URL(db.url);
    readUrl.searchParams.set('application_name', 'moviec_read');
    readUrl.searchParams.set('options', '-c default_transaction_read_only=on');
    expect(loadConfig({ DATABASE_URL: db.url, DATABASE_READ_URL: readUrl.toString() }).DATABASE_READ_URL).toBe(readUrl.toString());
    readPool = createPool(readUrl.toString(), 4);
    // An in-process cache that tells other processes of changes through PostgreSQL NOTIFY (on the primary).
    cache = await openCache({ ttlSeconds: 60, pool: db.pool });
    movieId = await insertMovie(db.pool, {
      title: 'Harbor Lights',
      year: 1994,
      imdbId: 'tt0300001',
      score: { value: 70, confidence: 0.8, votes: 1000, providerCount: 1 },
      ratings: [{ provider: 'imdb', kind: 'users', rawValue: 7, rawScale: '1-10', normalized: 66.7, votes: 1000 }],
      genres: [{ name: 'Drama', confidence: 1 }],
      externalIds: [{ provider: 'imdb', externalId: 'tt0300001' }],
    });
    const app = await createApp({ pool: db.pool, readPool, cache, adminToken: ADMIN_TOKEN, website: false });
    server = await app.start(0, '127.0.0.1');
    origin = new URL(server.url).origin;
    primary = recorded(db.pool);
    replica = recorded(readPool);
  });
  afterAll(async () => {
    await server?.close();
    await cache?.close();
    await readPool?.end();
    await db?.drop();
  });

  it('is another connection: its own application_name, and read-only', async () => {
    expect((await readPool.query<{ name: string }>(`SELECT current_setting('application_name') AS name`)).rows[0]!.name).toBe('moviec_read');
    await expect(readPool.query(`UPDATE movies SET title = 'x' WHERE false`)).rejects.toThrow(/read-only transaction/);
  });

  it('reads movies, lists, searches and REST movies on the read pool only', async () => {
    primary.length = 0;
    replica.length = 0;
    const movie = await postGraphQL(server.url, `query($id: ID!) { movie(id: $id) { title score { value } ratings { normalized } genres { name } } }`, { id: movieId });
    expect(movie.data.movie).toMatchObject({ title: 'Harbor Lights', score: { value: 70 }, genres: [{ name: 'Drama' }] });
    const list = await postGraphQL(server.url, `{ movies(first: 5, filter: { genres: ["Drama"] }) { totalCount edges { node { title } } } genres { name } }`);
    expect(list.data.movies.totalCount).toBe(1);
    const search = await postGraphQL(server.url, `{ searchMovies(query: "harbor") { edges { node { title } } } movieByExternalId(provider: IMDB, externalId: "tt0300001") { id } }`);
    expect(search.data.searchMovies.edges).toHaveLength(1);
    expect(search.data.movieByExternalId.id).toBe(movieId);
    expect((await fetch(`${origin}/movies/${movieId}`)).status).toBe(200);
    expect((await fetch(`${origin}/movies/search?query=harbor`)).status).toBe(200);
    expect(replica.length).toBeGreaterThanOrEqual(5);
    expect(primary).toEqual([]);
  });

  it('writes on the primary, and invalidations go through the primary', async () => {
    primary.length = 0;
    replica.length = 0;
    const created = await postGraphQL(server.url, `mutation { createApiKey(name: "replica test", requestsPerMinute: 600) { id name key } }`, undefined, {
      authorization: `Bearer ${ADMIN_TOKEN}`,
    });
    expect(created.errors).toBeUndefined();
    expect(created.data.createApiKey.name).toBe('replica test');
    expect(primary.length).toBeGreaterThan(0);
    expect(replica).toEqual([]);

    // A change (as aggregation commits it, on the primary) and its invalidation: the next read is new.
    await postGraphQL(server.url, `query($id: ID!) { movie(id: $id) { title } }`, { id: movieId });
    await db.pool.query(`UPDATE movies SET title = 'Harbor Lights (restored)' WHERE id = $1`, [movieId]);
    primary.length = 0;
    replica.length = 0;
    await cache.invalidateMovies([movieId]);
    expect(primary.join('\n')).toMatch(/pg_notify|NOTIFY/i);
    expect(replica).toEqual([]);
    const after = await postGraphQL(server.url, `query($id: ID!) { movie(id: $id) { title } }`, { id: movieId });
    expect(after.data.movie.title).toBe('Harbor Lights (restored)');
    expect(replica.length).toBeGreaterThan(0);
  });
});
