import { MemoryQuotaStore } from '../../src/services/rate-limit.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { freePort } from '../support/free-port.js';
import { postGraphQL } from '../support/graphql-api.js';
import { testRedis } from '../support/redis.js';
import { spawnMoviec, waitFor, type Child } from '../support/reliability.js';

const ADMIN = 'partners-admin-token-0123456789';
const admin = { authorization: `Bearer ${ADMIN}` };
const QUERY = '{ genres { name } }';

interface Api {
  child: Child;
  url: string;
}

/** `moviec serve` in a process of its own. */
async function serve(db: TestDatabase, redisUrl: string): Promise<Api> {
  const port = await freePort();
  const child = spawnMoviec(['serve'], {
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    ADMIN_TOKEN: ADMIN,
    ANONYMOUS_ACCESS: 'off',
    LOG_LEVEL: 'warn',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok, 60_000, `moviec serve on ${port}: ${child.output()}`, 200);
  return { child, url };
}

async function get(api: Api, headers: Record<string, string>) {
  const res = await fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: QUERY }),
  });
  const body = (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
  const header = (name: string) => res.headers.get(name);
  return {
    status: res.status,
    body,
    limit: header('ratelimit-limit'),
    remaining: header('ratelimit-remaining'),
    reset: header('ratelimit-reset'),
    retryAfter: header('retry-after'),
  };
}

describe('partner API keys and rate limits across two API processes sharing Redis', () => {
  let db: TestDatabase;
  let redis: { url: string; stop(): Promise<void> };
  let a: Api;
  let b: Api;

  async function createKey(name: string, requestsPerMinute: number) {
    const res = await postGraphQL(
      `${a.url}/graphql`,
      `mutation ($name: String!, $rpm: Int!) { createApiKey(name: $name, requestsPerMinute: $rpm) { id name key keyPrefix requestsPerMinute } }`,
      { name, rpm: requestsPerMinute },
      admin,
    );
    expect(res.errors).toBeUndefined();
    return res.data.createApiKey as { id: string; key: string; keyPrefix: string };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = await testRedis();
    [a, b] = await Promise.all([serve(db, redis.url), serve(db, redis.url)]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.child.kill(), b?.child.kill()]);
    await redis.stop();
    await db.drop();
  });

  it('shows a key once, stores only its hash, and refuses requests without a key (ANONYMOUS_ACCESS=off)', async () => {
    const key = await createKey('Acme Films', 5);
    expect(key.key).toMatch(/^mck_[A-Za-z0-9_-]{43}$/);
    expect(key.key.startsWith(key.keyPrefix)).toBe(true);
    const { rows } = await db.pool.query(`SELECT key_hash FROM api_keys WHERE id = $1`, [key.id]);
    expect(rows[0].key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(await db.pool.query('SELECT * FROM api_keys'))).not.toContain(key.key);
    const listed = await postGraphQL(`${b.url}/graphql`, `{ apiKeys { id name key keyPrefix } }`, {}, admin);
    expect(listed.data.apiKeys).toEqual([{ id: key.id, name: 'Acme Films', key: null, keyPrefix: key.keyPrefix }]);

    const anonymous = await get(a, {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const wrong = await get(b, { 'x-api-key': 'mck_not-a-key' });
    expect(wrong.status).toBe(401);
    // The admin token is not a partner key, and is not limited.
    expect((await get(a, admin)).status).toBe(200);
  });

  it('counts one bucket per key across both processes, with RateLimit headers, then 429 with Retry-After', async () => {
    const key = await createKey('Beta Reviews', 5);
    // The bucket refills one request every 12 s at 5 per minute. The requests alternate between the
    // two processes until one is refused: with one bucket shared through Redis that happens after
    // 5 requests plus one per refill the run lived through; with a bucket per process, after 10.
    const started = Date.now();
    const seen: (string | null)[] = [];
    let limited: Awaited<ReturnType<typeof get>> | undefined;
    for (let i = 0; i < 40 && !limited; i++) {
      const res = await get(i % 2 ? b : a, i % 2 ? { authorization: `Bearer ${key.key}` } : { 'x-api-key': key.key });
      if (res.status === 429) {
        limited = res;
        break;
      }
      expect(res.status).toBe(200);
      expect(res.limit).toBe('5');
      seen.push(res.remaining);
    }
    const refills = Math.floor((Date.now() - started) / 12_000);
    expect(seen[0]).toBe('4');
    expect(seen.length).toBeGreaterThanOrEqual(5);
    expect(seen.length).toBeLessThanOrEqual(5 + refills);
    if (refills === 0) expect(seen).toEqual(['4', '3', '2', '1', '0']);
    if (!limited) throw new Error('no request was refused');
    expect(limited.status).toBe(429);
    expect(limited.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(limited.remaining).toBe('0');
    // One request back every 12 s at 5 per minute; the bucket is full again within a minute.
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(limited.retryAfter)).toBeLessThanOrEqual(12);
    expect(Number(limited.reset)).toBeGreaterThan(0);
    expect(Number(limited.reset)).toBeLessThanOrEqual(60);

    const usage = await postGraphQL(`${b.url}/graphql`, `query ($id: ID!) { apiKeyUsage(id: $id) { requestsToday limitPerMinute revoked } }`, { id: key.id }, admin);
    expect(usage.data.apiKeyUsage).toEqual({ requestsToday: seen.length, limitPerMinute: 5, revoked: false });

    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`moviec_api_key_requests_total\\{key="${key.id}",outcome="allowed"\\} 3`));
  });

  it('refuses a revoked key at once, in the other process too (revoked by the API or by `moviec keys revoke`)', async () => {
    const first = await createKey('Gamma', 100);
    expect((await get(b, { 'x-api-key': first.key })).status).toBe(200);
    const revoked = await postGraphQL(`${a.url}/graphql`, `mutation ($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }`, { id: first.id }, admin);
    expect(revoked.data.revokeApiKey.revokedAt).toEqual(expect.any(String));
    const refused = await get(b, { 'x-api-key': first.key });
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0]?.message).toBe('The API key is not valid: unknown or revoked');

    const second = await createKey('Delta', 100);
    expect((await get(a, { 'x-api-key': second.key })).status).toBe(200);
    const cli = spawnMoviec(['keys', 'revoke', second.id], { DATABASE_URL: db.url, REDIS_URL: redis.url, LOG_LEVEL: 'warn' });
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain(`API key ${second.id} "Delta" revoked at`);
    expect((await get(a, { 'x-api-key': second.key })).status).toBe(401);
    expect((await get(b, { 'x-api-key': second.key })).status).toBe(401);
  });

  it('moviec keys create and list: the key printed once, the list without it', async () => {
    const created = spawnMoviec(['keys', 'create', '--name', 'Epsilon', '--rpm', '42'], { DATABASE_URL: db.url, REDIS_URL: redis.url });
    expect(await created.exited).toBe(0);
    const key = /mck_[A-Za-z0-9_-]{43}/.exec(created.output())?.[0];
    expect(key).toBeDefined();
    expect((await get(b, { 'x-api-key': key! })).limit).toBe('42');
    const listed = spawnMoviec(['keys', 'list'], { DATABASE_URL: db.url, REDIS_URL: redis.url });
    expect(await listed.exited).toBe(0);
    expect(listed.output()).toMatch(/Epsilon\s+mck_\S+…\s+42\s+1\s+active/);
    expect(listed.output()).not.toContain(key);
    expect(listed.output()).toMatch(/Gamma .*revoked/);
  });
});

describe('the in-process token bucket (no Redis)', () => {
  it('allows a burst of the quota, then refuses with the wait until the next token', async () => {
    const store = new MemoryQuotaStore();
    await store.rememberKey('h', { id: '7', name: 'n', requestsPerMinute: 3 });
    const decisions = [];
    for (let i = 0; i < 4; i++) {
      const take = await store.takeKey('h');
      if (take.status !== 'ok') throw new Error(take.status);
      decisions.push(take.decision);
    }
    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([[true, 2], [true, 1], [true, 0], [false, 0]]);
    expect(decisions[3]!.retryAfterSeconds).toBeGreaterThanOrEqual(19);
    expect(decisions[3]!.retryAfterSeconds).toBeLessThanOrEqual(20);
    expect(await store.usageToday('7')).toBe(3);
    await store.revoke('h');
    expect(await store.takeKey('h')).toEqual({ status: 'revoked' });
    expect(await store.takeKey('unknown')).toEqual({ status: 'unknown' });
  });
});
