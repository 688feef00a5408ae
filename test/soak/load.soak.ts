/**
 * Load on loopback: measure capacity for 5 s, then 60 s (SOAK_LOAD_SECONDS) of mixed queries
 * (GraphQL list, search, one movie; REST search) at 80 % of it. Zero errors and non-2xx answers,
 * and memory that does not grow: heap and RSS sampled every second, the last quarter compared with
 * the first.
 */
// @ts-expect-error autocannon ships no types; used for its result numbers only.
import autocannon from 'autocannon';
import { createApp, type RunningServer } from '../../src/server/app.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertMovie } from '../support/graphql-api.js';

const SECONDS = Number(process.env.SOAK_LOAD_SECONDS ?? 60);
interface Result { requests: { average: number }; latency: { p99: number; average: number }; errors: number; timeouts: number; non2xx: number; '2xx': number }

const body = (query: string) => JSON.stringify({ query });
const REQUESTS = [
  { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body: body('{ movies(first: 10) { edges { node { title year score { value } genres { name } } } } }') },
  { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body: body('{ searchMovies(query: "harbor", first: 5) { edges { node { title ratings { kind normalized } } } } }') },
  { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body: body('{ movies(first: 5, orderBy: YEAR_DESC) { totalCount } genres { name } }') },
  { method: 'GET', path: '/movies/search?query=midnight&limit=5' },
];

function fire(url: string, seconds: number, rate?: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: 10, duration: seconds, requests: REQUESTS, ...(rate ? { overallRate: rate } : {}) },
      (error: Error | null, result: Result) => (error ? reject(error) : resolve(result)));
  });
}

describe(`load: ${SECONDS} s of mixed queries at the measured capacity`, () => {
  let db: TestDatabase;
  let server: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    const words = ['Harbor', 'Midnight', 'Iron', 'Valley', 'Paper', 'Moon'];
    for (let i = 0; i < 300; i++) {
      await insertMovie(db.pool, {
        title: `${words[i % 6]} ${words[(i * 5 + 1) % 6]} ${i}`, year: 1950 + (i % 70),
        score: { value: 40 + (i % 60), confidence: 0.8, votes: 100 + i, providerCount: 1 },
        genres: [{ name: ['Drama', 'Comedy', 'Action'][i % 3]!, confidence: 1 }],
        ratings: [{ provider: 'imdb', kind: 'users', rawValue: 5 + (i % 5), rawScale: '1-10', normalized: 40 + (i % 60), votes: 100 + i }],
      });
    }
    const app = await createApp({ pool: db.pool, prisma: db.prisma, website: false });
    server = await app.start(0, '127.0.0.1');
  });
  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  it('answers every request and keeps its memory flat', async () => {
    const origin = new URL(server.url).origin;
    const probe = await fire(origin, 5);
    expect(probe.errors + probe.timeouts + probe.non2xx).toBe(0);
    const rate = Math.max(50, Math.floor(probe.requests.average * 0.8));

    const samples: { rss: number; heap: number }[] = [];
    const timer = setInterval(() => {
      const m = process.memoryUsage();
      samples.push({ rss: m.rss, heap: m.heapUsed });
    }, 1000);
    const result = await fire(origin, SECONDS, rate).finally(() => clearInterval(timer));

    expect({ errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx }).toEqual({ errors: 0, timeouts: 0, non2xx: 0 });
    const quarter = Math.max(1, Math.floor(samples.length / 4));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const first = { rss: median(samples.slice(0, quarter).map((s) => s.rss)), heap: median(samples.slice(0, quarter).map((s) => s.heap)) };
    const last = { rss: median(samples.slice(-quarter).map((s) => s.rss)), heap: median(samples.slice(-quarter).map((s) => s.heap)) };
    const mb = (n: number) => Math.round(n / 1e6);
    console.log(
      `load soak: capacity ${Math.round(probe.requests.average)} req/s (10 connections); ${SECONDS} s at ${rate} req/s: ` +
        `${result['2xx']} answers, 0 errors, latency avg ${result.latency.average} ms p99 ${result.latency.p99} ms; ` +
        `heap ${mb(first.heap)} -> ${mb(last.heap)} MB, rss ${mb(first.rss)} -> ${mb(last.rss)} MB`,
    );
    expect(last.heap).toBeLessThan(first.heap * 1.5 + 30e6);
    expect(last.rss).toBeLessThan(first.rss * 1.5 + 50e6);
  });
});
