import type pg from 'pg';
import { z } from 'zod';
import { createPartnerAccess } from '../../src/server/partner-access.js';
import { partnersEnvShape } from '../../src/services/partners-env.js';
import { MemoryQuotaStore } from '../../src/services/rate-limit.js';

/**
 * ANONYMOUS_ACCESS=rate:N/min: requests without a key share N per minute per client address, with
 * the same RateLimit decision and 429 as keyed requests; the admin token is never limited. No
 * database is touched for anonymous requests (the pool is never used here).
 */
const env = z.object({ ANONYMOUS_ACCESS: partnersEnvShape.ANONYMOUS_ACCESS });
const ADMIN = 'an-admin-token-of-enough-length';

describe('ANONYMOUS_ACCESS', () => {
  it('parses on, off and rate:N/min, and refuses anything else with the accepted forms', () => {
    expect(env.parse({}).ANONYMOUS_ACCESS).toEqual({ mode: 'on' });
    expect(env.parse({ ANONYMOUS_ACCESS: 'off' }).ANONYMOUS_ACCESS).toEqual({ mode: 'off' });
    expect(env.parse({ ANONYMOUS_ACCESS: 'rate:2/min' }).ANONYMOUS_ACCESS).toEqual({ mode: 'rate', perMinute: 2 });
    for (const bad of ['rate:0/min', 'rate:5/hour', 'sometimes']) {
      const result = env.safeParse({ ANONYMOUS_ACCESS: bad });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toMatch(/on, off or rate:N\/min|between 1 and 1000000/);
    }
  });

  it('rate:N/min gives each client address N requests, then 429 with the wait; the admin token is not limited', async () => {
    const access = createPartnerAccess({
      pool: {} as pg.Pool,
      quota: new MemoryQuotaStore(),
      anonymous: { mode: 'rate', perMinute: 2 },
      adminToken: ADMIN,
    });
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await access.check({}, '192.0.2.1'));
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
    expect(results[0]!.decision).toMatchObject({ allowed: true, limit: 2, remaining: 1 });
    expect(results[1]!.decision).toMatchObject({ allowed: true, limit: 2, remaining: 0 });
    const refused = results[2]!;
    if (refused.ok) throw new Error('expected a refusal');
    expect(refused).toMatchObject({ status: 429, code: 'RATE_LIMITED', decision: { allowed: false, remaining: 0 } });
    expect(refused.decision!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.decision!.retryAfterSeconds).toBeLessThanOrEqual(30);
    expect(refused.message).toMatch(/Rate limit of 2 requests per minute reached: retry in \d+ s/);

    // Another address has its own bucket; the admin token passes whatever the bucket says.
    expect((await access.check({}, '192.0.2.2')).ok).toBe(true);
    expect(await access.check({ authorization: `Bearer ${ADMIN}` }, '192.0.2.1')).toEqual({ ok: true });
  });
});
