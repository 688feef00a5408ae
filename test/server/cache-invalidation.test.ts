/**
 * Invalidations that survive a Redis hang. Redis (a redis-server child of this test) is stopped
 * with SIGSTOP — it keeps its connections and its data, and answers nothing — while a process that
 * changed movies (a worker or `moviec import`) invalidates them and exits. The API process must
 * not serve the replaced answers once Redis answers again: the exiting process hands its
 * invalidations over through PostgreSQL, and a process that saw its store fail versions the whole
 * cache before using it again. Also: entries above the per-entry size cap are not stored; a write
 * that times out on a connection still up does not version the whole cache, and a Redis restarted
 * from an old snapshot (no command failed meanwhile) serves nothing an invalidation replaced.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { openCache, type MovieCache } from '../../src/cache/index.js';
import { createApp, type RunningServer } from '../../src/server/app.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { freePort } from '../support/free-port.js';
import { insertMovie } from '../support/graphql-api.js';
import { waitFor } from '../support/reliability.js';

/** redis-server on a port, keeping its snapshot (SAVE) in dir, so that a restart loads it. */
async function startRedis(port: number, dir?: string): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...(dir ? ['--dir', dir] : [])], { stdio: 'ignore' });
  const probe = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
  await waitFor(async () => (await probe.ping().catch(() => null)) === 'PONG', 10_000, 'redis to start');
  probe.disconnect();
  return child;
}

describe('cache invalidation through a Redis hang', () => {
  let db: TestDatabase;
  let redis: ChildProcess;
  let port: number;
  let apiCache: MovieCache;
  let server: RunningServer;
  let origin: string;
  let movieId: string;

  const title = async () => {
    const response = await fetch(`${origin}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'query ($id: ID!) { movie(id: $id) { title } }', variables: { id: movieId } }),
    });
    const body = (await response.json()) as { data?: { movie: { title: string } } };
    return body.data?.movie.title;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    movieId = await insertMovie(db.pool, { title: 'Before The Hang', year: 2001 });
    port = await freePort();
    redis = await startRedis(port);
    // The API process: Redis shared with the workers, and listening for what they could not deliver.
    apiCache = await openCache({ redisUrl: `redis://127.0.0.1:${port}`, ttlSeconds: 300, pool: db.pool, listen: true });
    const app = await createApp({ pool: db.pool, cache: apiCache, website: false });
    server = await app.start(0, '127.0.0.1');
    origin = new URL(server.url).origin;
  });
  afterAll(async () => {
    redis?.kill('SIGCONT');
    await server?.close();
    await apiCache?.close();
    redis?.kill('SIGKILL');
    await db?.drop();
  });

  it('a process exiting during the hang hands its invalidations over; nothing replaced is served after it', async () => {
    expect(await title()).toBe('Before The Hang');
    expect(await title()).toBe('Before The Hang'); // now from Redis

    // A worker process commits a change and invalidates it while Redis hangs, then exits.
    const workerCache = await openCache({ redisUrl: `redis://127.0.0.1:${port}`, ttlSeconds: 300, pool: db.pool, closeWaitMs: 200 });
    await db.pool.query(`UPDATE movies SET title = 'After The Hang' WHERE id = $1`, [movieId]);
    redis.kill('SIGSTOP');
    await workerCache.invalidateMovies([movieId]);
    expect(workerCache.hasPendingInvalidations).toBe(true);
    await workerCache.close();

    // The API process heard it through PostgreSQL; during the hang it answers from the database.
    await waitFor(() => apiCache.hasPendingInvalidations, 10_000, 'the API cache to hear about the lost invalidation');
    expect(await title()).toBe('After The Hang');

    // Redis answers again, with the old entry still in it: it is not served.
    redis.kill('SIGCONT');
    expect(await title()).toBe('After The Hang');
    expect(await title()).toBe('After The Hang');
    expect(apiCache.hasPendingInvalidations).toBe(false);
  });

  it('a process whose store failed versions the whole cache before it uses it again', async () => {
    await db.pool.query(`UPDATE movies SET title = 'Third Title' WHERE id = $1`, [movieId]);
    // Another process's invalidation of this change is lost (it never reached Redis nor PostgreSQL)...
    expect(await title()).toBe('After The Hang');
    redis.kill('SIGSTOP');
    // ...while this process sees Redis fail (a read that times out).
    const during = await title();
    expect(during).toBe('Third Title');
    redis.kill('SIGCONT');
    expect(await title()).toBe('Third Title');
  });

  it('a write that times out on a connection still up is counted, and does not version the whole cache', async () => {
    const writer = await openCache({ redisUrl: `redis://127.0.0.1:${port}`, ttlSeconds: 300, pool: db.pool });
    try {
      const errorsOf = async () => (await writer.metrics.errors.get()).values.find((v) => v.labels.operation === 'write')?.value ?? 0;
      const before = await errorsOf();
      // Redis hangs: the write cannot be answered within the command timeout (it is applied after the hang).
      redis.kill('SIGSTOP');
      await writer.storeResponse('response:slow-write', ['1'], 'body');
      redis.kill('SIGCONT');
      expect(await errorsOf()).toBe(before + 1);
      expect(writer.hasPendingInvalidations).toBe(false);
    } finally {
      redis.kill('SIGCONT');
      await writer.close();
    }
  });

  it('a Redis restarted from an old snapshot serves nothing replaced, though no command failed meanwhile', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'moviec-redis-snapshot-'));
    const snapshotPort = await freePort();
    let server = await startRedis(snapshotPort, dir);
    const url = `redis://127.0.0.1:${snapshotPort}`;
    const probe = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => 50, keyPrefix: 'moviec:' });
    probe.on('error', () => undefined);
    const reader = await openCache({ redisUrl: url, ttlSeconds: 300, pool: db.pool });
    try {
      const read = (value: string) => reader.perMovie('probe', [movieId], () => Promise.resolve([value]));
      expect(await read('first')).toEqual(['first']);
      expect(await read('not read')).toEqual(['first']);
      // The snapshot keeps the first value under its versions; the change after it is lost with the restart.
      await probe.save();
      await reader.invalidateMovies([movieId]);
      expect(await read('second')).toEqual(['second']);
      // Answered after the write of 'second' (one connection, in order): no command is in flight at the restart.
      expect(await read('not read')).toEqual(['second']);
      const errors = (await reader.metrics.errors.get()).values.reduce((sum, v) => sum + v.value, 0);
      server.kill('SIGKILL');
      await new Promise((resolve) => server.once('exit', resolve));
      server = await startRedis(snapshotPort, dir);
      expect(await probe.get('probe:' + movieId)).toContain('first');
      // The cache reconnects by itself and, before anything is read, versions the whole store.
      await waitFor(async () => (await probe.get('ver:all').catch(() => null)) !== null, 10_000, 'the whole cache versioned after the reconnection');
      expect(await read('third')).toEqual(['third']);
      // Not because a command failed: none did.
      expect((await reader.metrics.errors.get()).values.reduce((sum, v) => sum + v.value, 0)).toBe(errors);
    } finally {
      probe.disconnect();
      await reader.close();
      server.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('does not store an entry larger than the per-entry cap', async () => {
    const small = await openCache({ redisUrl: `redis://127.0.0.1:${port}`, ttlSeconds: 300, pool: db.pool, maxEntryBytes: 100 });
    try {
      const big = 'x'.repeat(1000);
      expect(await small.shared('probe', 'big', () => Promise.resolve(big))).toBe(big);
      expect(await small.shared('probe', 'tiny', () => Promise.resolve('y'))).toBe('y');
      const probe = new Redis({ port, maxRetriesPerRequest: 1, keyPrefix: 'moviec:' });
      const keys = await probe.keys('moviec:probe:*');
      probe.disconnect();
      expect(keys).toHaveLength(1);
    } finally {
      await small.close();
    }
  });
});
