import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../logger.js';

/**
 * Per-key token buckets: a key allowed N requests per minute holds at most N tokens and gains N/60
 * per second; each request takes one. In Redis (shared by every API process) one script call per
 * request checks the key (known, revoked) and takes the token, using Redis's clock; without Redis
 * the same in process. Requests served per key and UTC day are counted alongside (apiKeyUsage).
 */

export interface RateDecision {
  allowed: boolean;
  /** Requests per minute (RateLimit-Limit). */
  limit: number;
  /** Whole tokens left (RateLimit-Remaining). */
  remaining: number;
  /** Seconds until the bucket is full again (RateLimit-Reset). */
  resetSeconds: number;
  /** Seconds until one request is allowed again (Retry-After), 0 when allowed. */
  retryAfterSeconds: number;
}

/** What the store knows of a key: its id and quota, or that it is revoked (or unknown). */
export type KeyRecord = { id: string; name: string; requestsPerMinute: number } | 'revoked';

export type KeyTake = { status: 'unknown' } | { status: 'revoked' } | { status: 'ok'; keyId: string; decision: RateDecision };

export interface QuotaStore {
  readonly kind: 'redis' | 'memory';
  /** Takes a token of the key with this hash; 'unknown' when the store has no record of it yet. */
  takeKey(keyHash: string): Promise<KeyTake>;
  /** Remembers a key (from the database), or that it is revoked or does not exist. */
  rememberKey(keyHash: string, record: KeyRecord): Promise<void>;
  /** Refuses a key from now on (every process sharing this store). */
  revoke(keyHash: string): Promise<void>;
  /** Takes a token of an anonymous client's bucket (ANONYMOUS_ACCESS=rate:N/min). */
  takeAnonymous(client: string, perMinute: number): Promise<RateDecision>;
  /** Requests served with the key today (UTC). */
  usageToday(keyId: string): Promise<number>;
  close(): Promise<void>;
}

const KEY_RECORD_TTL_S = 600;
const REVOKE_CONNECT_WAIT_MS = 3000;

/** Resolves on the event, or after timeoutMs (the command that follows then fails with Redis's own error). */
function once(emitter: Redis, event: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    function done() {
      clearTimeout(timer);
      emitter.off(event, done);
      resolve();
    }
    emitter.once(event, done);
  });
}
const UNKNOWN_KEY_TTL_S = 60;
const USAGE_TTL_S = 2 * 86_400;

const utcDay = (unixSeconds: number) => Math.floor(unixSeconds / 86_400);

/** Token bucket arithmetic shared by both stores (the Lua script does the same). */
function take(bucket: { tokens: number; at: number } | undefined, perMinute: number, now: number): { bucket: { tokens: number; at: number }; decision: RateDecision } {
  const rate = perMinute / 60;
  let tokens = bucket ? Math.min(perMinute, bucket.tokens + (now - bucket.at) * rate) : perMinute;
  const allowed = tokens >= 1;
  if (allowed) tokens -= 1;
  return {
    bucket: { tokens, at: now },
    decision: {
      allowed,
      limit: perMinute,
      remaining: Math.floor(tokens),
      resetSeconds: Math.ceil((perMinute - tokens) / rate),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / rate)),
    },
  };
}

export class MemoryQuotaStore implements QuotaStore {
  readonly kind = 'memory';
  private readonly keys = new LRUCache<string, { record: KeyRecord }>({ max: 10_000, ttl: KEY_RECORD_TTL_S * 1000 });
  private readonly buckets = new LRUCache<string, { tokens: number; at: number }>({ max: 100_000, ttl: 3_600_000 });
  private readonly usage = new LRUCache<string, number>({ max: 100_000 });

  takeKey(keyHash: string): Promise<KeyTake> {
    const known = this.keys.get(keyHash);
    if (!known) return Promise.resolve({ status: 'unknown' });
    if (known.record === 'revoked') return Promise.resolve({ status: 'revoked' });
    const { id, requestsPerMinute } = known.record;
    const now = Date.now() / 1000;
    const { bucket, decision } = take(this.buckets.get(`k:${keyHash}`), requestsPerMinute, now);
    this.buckets.set(`k:${keyHash}`, bucket);
    if (decision.allowed) {
      const day = `${id}:${utcDay(now)}`;
      this.usage.set(day, (this.usage.get(day) ?? 0) + 1);
    }
    return Promise.resolve({ status: 'ok', keyId: id, decision });
  }

  rememberKey(keyHash: string, record: KeyRecord): Promise<void> {
    this.keys.set(keyHash, { record }, record === 'revoked' ? { ttl: UNKNOWN_KEY_TTL_S * 1000 } : {});
    return Promise.resolve();
  }

  /** Forgets a key (revoked by another process: told through PostgreSQL NOTIFY). */
  forget(keyHash: string): void {
    this.keys.delete(keyHash);
  }

  revoke(keyHash: string): Promise<void> {
    this.keys.set(keyHash, { record: 'revoked' });
    return Promise.resolve();
  }

  takeAnonymous(client: string, perMinute: number): Promise<RateDecision> {
    const { bucket, decision } = take(this.buckets.get(`a:${client}`), perMinute, Date.now() / 1000);
    this.buckets.set(`a:${client}`, bucket);
    return Promise.resolve(decision);
  }

  usageToday(keyId: string): Promise<number> {
    return Promise.resolve(this.usage.get(`${keyId}:${utcDay(Date.now() / 1000)}`) ?? 0);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

// KEYS[1] bucket; ARGV[1] requests per minute. Returns {allowed, remaining, reset, retryAfter}.
const BUCKET_LUA = `
local function take(bucketKey, perMinute)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
  local rate = perMinute / 60
  local b = redis.call('HMGET', bucketKey, 'tokens', 'at')
  local tokens = tonumber(b[1])
  if tokens == nil then tokens = perMinute else tokens = math.min(perMinute, tokens + (now - tonumber(b[2])) * rate) end
  local allowed = 0
  if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
  redis.call('HSET', bucketKey, 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('EXPIRE', bucketKey, 120)
  local retry = 0
  if allowed == 0 then retry = math.max(1, math.ceil((1 - tokens) / rate)) end
  return {allowed, math.floor(tokens), math.ceil((perMinute - tokens) / rate), retry, tonumber(t[1])}
end
`;

const ANONYMOUS_LUA = `${BUCKET_LUA}
local r = take(KEYS[1], tonumber(ARGV[1]))
return {r[1], r[2], r[3], r[4]}`;

// KEYS[1] key record, KEYS[2] bucket; ARGV[1] usage key prefix. Returns {-1} unknown, {-2} revoked,
// or {allowed, remaining, reset, retryAfter, perMinute, id}.
const KEY_LUA = `${BUCKET_LUA}
local rec = redis.call('HMGET', KEYS[1], 'id', 'rpm', 'revoked')
if rec[3] == '1' then return {-2} end
if not rec[1] then return {-1} end
local perMinute = tonumber(rec[2])
local r = take(KEYS[2], perMinute)
if r[1] == 1 then
  local usage = ARGV[1] .. rec[1] .. ':' .. math.floor(r[5] / 86400)
  redis.call('INCR', usage)
  redis.call('EXPIRE', usage, ${USAGE_TTL_S})
end
return {r[1], r[2], r[3], r[4], perMinute, rec[1]}`;

type ScriptClient = Redis & {
  moviecTakeKey(record: string, bucket: string, usagePrefix: string): Promise<(number | string)[]>;
  moviecTakeAnonymous(bucket: string, perMinute: number): Promise<number[]>;
};

/**
 * The shared store. When Redis cannot answer, requests are not refused for it: the in-process
 * store stands in (limits then hold per process) until Redis is back.
 */
export class RedisQuotaStore implements QuotaStore {
  readonly kind = 'redis';
  private readonly client: ScriptClient;
  private readonly fallback = new MemoryQuotaStore();
  private warned = false;

  constructor(
    url: string,
    private readonly prefix = 'moviec:',
    private readonly logger?: Logger,
  ) {
    const client = new Redis(url, {
      enableOfflineQueue: false,
      commandTimeout: 300,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
    });
    client.on('error', (error: Error) => logger?.debug({ err: error }, 'Redis connection error (rate limits)'));
    client.on('ready', () => (this.warned = false));
    client.defineCommand('moviecTakeKey', { numberOfKeys: 2, lua: KEY_LUA });
    client.defineCommand('moviecTakeAnonymous', { numberOfKeys: 1, lua: ANONYMOUS_LUA });
    this.client = client as ScriptClient;
  }

  private recordKey = (keyHash: string) => `${this.prefix}apikey:${keyHash}`;

  /**
   * Resolves once Redis is connected, or after `timeoutMs`: a short-lived process (the CLI) waits
   * so that a revocation or a usage read goes to the shared store, not to its own empty fallback.
   */
  async connected(timeoutMs = 3000): Promise<void> {
    if (this.client.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.client.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.client.once('ready', done);
    });
  }

  private degraded(error: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.logger?.warn({ err: error }, 'Redis is not answering: rate limits are kept per process until it is back');
  }

  async takeKey(keyHash: string): Promise<KeyTake> {
    try {
      const r = await this.client.moviecTakeKey(this.recordKey(keyHash), `${this.prefix}bucket:k:${keyHash}`, `${this.prefix}usage:`);
      if (r[0] === -1) return { status: 'unknown' };
      if (r[0] === -2) return { status: 'revoked' };
      const [allowed, remaining, reset, retry, perMinute, id] = r as [number, number, number, number, number, string];
      return {
        status: 'ok',
        keyId: String(id),
        decision: { allowed: allowed === 1, limit: perMinute, remaining, resetSeconds: reset, retryAfterSeconds: retry },
      };
    } catch (error) {
      this.degraded(error);
      return this.fallback.takeKey(keyHash);
    }
  }

  async rememberKey(keyHash: string, record: KeyRecord): Promise<void> {
    await this.fallback.rememberKey(keyHash, record);
    const key = this.recordKey(keyHash);
    try {
      const multi = this.client.multi().del(key);
      if (record === 'revoked') multi.hset(key, 'revoked', '1').expire(key, UNKNOWN_KEY_TTL_S);
      else multi.hset(key, 'id', record.id, 'rpm', String(record.requestsPerMinute)).expire(key, KEY_RECORD_TTL_S);
      await multi.exec();
    } catch (error) {
      this.degraded(error);
    }
  }

  /**
   * A revoked key, refused by every process from the next request on: kept longer than an unknown
   * one. Waits a moment for a connection (a CLI process has just opened it) and fails when Redis
   * cannot be told, since API processes would honour the key until their record expires.
   */
  async revoke(keyHash: string): Promise<void> {
    this.fallback.forget(keyHash);
    await this.fallback.rememberKey(keyHash, 'revoked');
    const key = this.recordKey(keyHash);
    if (this.client.status !== 'ready') await once(this.client, 'ready', REVOKE_CONNECT_WAIT_MS);
    await this.client.multi().del(key).hset(key, 'revoked', '1').expire(key, KEY_RECORD_TTL_S).exec();
  }

  async takeAnonymous(client: string, perMinute: number): Promise<RateDecision> {
    try {
      const [allowed, remaining, reset, retry] = await this.client.moviecTakeAnonymous(`${this.prefix}bucket:a:${client}`, perMinute);
      return { allowed: allowed === 1, limit: perMinute, remaining: remaining!, resetSeconds: reset!, retryAfterSeconds: retry! };
    } catch (error) {
      this.degraded(error);
      return this.fallback.takeAnonymous(client, perMinute);
    }
  }

  async usageToday(keyId: string): Promise<number> {
    try {
      const value = await this.client.get(`${this.prefix}usage:${keyId}:${utcDay(Date.now() / 1000)}`);
      return Number(value ?? 0);
    } catch (error) {
      this.degraded(error);
      return this.fallback.usageToday(keyId);
    }
  }

  async close(): Promise<void> {
    this.client.disconnect();
    return Promise.resolve();
  }
}
