import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestApi, type TestApi } from '../support/graphql-api.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles } from '../support/imdb-files.js';
import { importImdb } from '../support/pipeline.js';
import { spawnMoviec, waitFor } from '../support/reliability.js';

interface Change {
  movieChanged: { id: string; title: string; score: { value: number } | null } | null;
}

/** Collects what a subscription yields; `next()` resolves with the next one. */
function collect(client: Client, query: string, variables: Record<string, unknown>) {
  const received: Change[] = [];
  const waiters: ((value: Change) => void)[] = [];
  const errors: unknown[] = [];
  const dispose = client.subscribe<Change>(
    { query, variables },
    {
      next: ({ data, errors: e }) => {
        if (e) errors.push(e);
        if (!data) return;
        const waiter = waiters.shift();
        if (waiter) waiter(data);
        else received.push(data);
      },
      error: (error) => errors.push(error),
      complete: () => undefined,
    },
  );
  return {
    received,
    errors,
    dispose,
    next: () => (received.length ? Promise.resolve(received.shift()!) : new Promise<Change>((resolve) => waiters.push(resolve))),
  };
}

const SUBSCRIPTION = `subscription ($ids: [ID!], $minDelta: Float) { movieChanged(ids: $ids, minDelta: $minDelta) { id title score { value } } }`;

describe('movieChanged over WebSocket (graphql-ws)', () => {
  let api: TestApi;
  let client: Client;
  let files: Record<string, string>;

  beforeAll(async () => {
    api = await startTestApi({});
    files = await writeFiles(await tempDir(), {
      'basics.tsv': basicsTsv([
        { tconst: 'tt0400001', title: 'Night Train', year: 1999, genres: ['Thriller'] },
        { tconst: 'tt0400002', title: 'Day Trip', year: 2000, genres: ['Comedy'] },
      ]),
      'ratings-1.tsv': ratingsTsv([['tt0400001', 6.0, 8000], ['tt0400002', 6.0, 8000]]),
      'ratings-2.tsv': ratingsTsv([['tt0400001', 8.0, 8000], ['tt0400002', 6.1, 8000]]),
    });
    expect((await importImdb(api.db.pool, files['basics.tsv']!, files['ratings-1.tsv']!)).status).toBe('SUCCEEDED');
    client = createClient({ url: api.server.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, lazy: false, retryAttempts: 0 });
  });
  afterAll(async () => {
    await client.dispose();
    await api.close();
  });

  it('tells a subscriber about a change made by a worker in another process, filtered by ids and minDelta', async () => {
    const { rows } = await api.db.pool.query<{ id: string; imdb_id: string }>(`SELECT id, imdb_id FROM movies ORDER BY imdb_id`);
    const [night, day] = rows.map((r) => r.id) as [string, string];
    const onlyDay = collect(client, SUBSCRIPTION, { ids: [day] });
    const bigMoves = collect(client, SUBSCRIPTION, { minDelta: 10 });
    const everything = collect(client, SUBSCRIPTION, {});
    // The subscriptions have reached the server (and it LISTENs) before the other process changes anything.
    await waitFor(() => api.app.feed.subscriberCount === 3, 10_000, 'three subscribers');

    // `moviec import` in its own process: it runs the import and aggregation there.
    const other = spawnMoviec(['import', 'imdb', '--basics', files['basics.tsv']!, '--ratings', files['ratings-2.tsv']!], {
      DATABASE_URL: api.db.url,
      LOG_LEVEL: 'warn',
    });
    expect(await other.exited).toBe(0);

    const { rows: after } = await api.db.pool.query<{ id: string; score_value: number }>(`SELECT id, score_value FROM movies`);
    const score = (id: string) => after.find((r) => r.id === id)!.score_value;

    // The import may be followed by a scoring refit that moves scores again: read until the final state.
    const seen = { day: [] as string[], big: [] as string[] };
    const until = async (sub: ReturnType<typeof collect>, ids: string[], done: (c: Change) => boolean) => {
      for (;;) {
        const change = await sub.next();
        ids.push(change.movieChanged!.id);
        if (done(change)) return change;
      }
    };
    const dayChange = await until(onlyDay, seen.day, (c) => c.movieChanged?.score?.value === score(day));
    expect(dayChange.movieChanged).toEqual({ id: day, title: 'Day Trip', score: { value: score(day) } });
    const big = await until(bigMoves, seen.big, () => true);
    expect(big.movieChanged).toMatchObject({ id: night, title: 'Night Train' });
    const both = new Set<string>();
    await until(everything, [], (c) => both.add(c.movieChanged!.id).size === 2);
    expect([...both].sort()).toEqual([night, day].sort());
    // Only the movies asked for: Day Trip moved by less than 10 points, Night Train is not in onlyDay's ids.
    expect(new Set([...seen.day, ...onlyDay.received.map((c) => c.movieChanged!.id)])).toEqual(new Set([day]));
    expect(new Set([...seen.big, ...bigMoves.received.map((c) => c.movieChanged!.id)])).toEqual(new Set([night]));
    for (const s of [onlyDay, bigMoves, everything]) {
      expect(s.errors).toEqual([]);
      s.dispose();
    }
  });

  it('rejects a bad filter with BAD_USER_INPUT', async () => {
    const bad = collect(client, SUBSCRIPTION, { ids: ['not-a-uuid'] });
    const deadline = Date.now() + 10_000;
    while (bad.errors.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(JSON.stringify(bad.errors)).toContain('BAD_USER_INPUT');
  });
});

describe('subscriptions need a key when ANONYMOUS_ACCESS=off', () => {
  it('closes a connection without a key, accepts one with a key in the connection parameters', async () => {
    const api = await startTestApi({ anonymousAccess: { mode: 'off' }, adminToken: 'partners-admin-token-0123456789' });
    try {
      const created = await api.gql(`mutation { createApiKey(name: "ws", requestsPerMinute: 10) { key } }`, {}, { authorization: 'Bearer partners-admin-token-0123456789' });
      const key = created.data.createApiKey.key as string;
      const url = api.server.url.replace(/^http/, 'ws');
      const refused = await new Promise<number>((resolve) => {
        const c = createClient({
          url, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0, onNonLazyError: () => undefined,
          on: { closed: (e) => resolve((e as { code: number }).code) },
        });
        c.on('connected', () => resolve(0));
      });
      expect(refused).toBe(4403);
      const accepted = await new Promise<boolean>((resolve) => {
        const c = createClient({ url, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0, connectionParams: { 'x-api-key': key } });
        c.on('connected', () => {
          resolve(true);
          void c.dispose();
        });
        c.on('closed', () => resolve(false));
      });
      expect(accepted).toBe(true);
    } finally {
      await api.close();
    }
  });
});
