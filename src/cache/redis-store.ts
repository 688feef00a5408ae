import { Redis } from 'ioredis';
import type { CacheStore } from './store.js';
import { CacheUnavailableError } from '../errors.js';

export interface RedisStoreOptions {
  url: string;
  /** A command not answered within this time fails, and the request goes on without the cache. */
  commandTimeoutMs?: number;
  /** Key prefix, so one Redis can serve other applications too. */
  prefix?: string;
  onError?: (error: Error) => void;
}

// One sequence for every version key (see CacheStore): KEYS[1] is the sequence, the rest get its next value.
const BUMP = `local n = redis.call('INCR', KEYS[1])
for i = 2, #KEYS do redis.call('SET', KEYS[i], n) end
return n`;
const BUMP_CHUNK = 1000;

/**
 * The shared cache of every API and worker process. A request never waits for a Redis that is
 * down: commands are not queued while disconnected (they fail at once) and time out quickly, and
 * ioredis keeps reconnecting in the background, so caching resumes by itself.
 */
export class RedisStore implements CacheStore {
  readonly kind = 'redis';
  private readonly client: Redis;
  private readonly readyListeners: (() => void)[] = [];

  constructor({ url, commandTimeoutMs = 300, prefix = 'moviec:', onError }: RedisStoreOptions) {
    this.client = new Redis(url, {
      keyPrefix: prefix,
      enableOfflineQueue: false,
      commandTimeout: commandTimeoutMs,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
    });
    this.client.on('error', (error: Error) => onError?.(error));
    this.client.on('ready', () => this.readyListeners.forEach((listener) => listener()));
  }

  async mget(keys: string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    this.ensureReady();
    return await this.client.mget(keys);
  }

  async set(entries: [string, string][], ttlSeconds: number): Promise<void> {
    if (entries.length === 0) return;
    this.ensureReady();
    const pipeline = this.client.pipeline();
    for (const [key, value] of entries) pipeline.set(key, value, 'EX', ttlSeconds);
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  async bump(versionKeys: string[]): Promise<void> {
    this.ensureReady();
    for (let i = 0; i < versionKeys.length; i += BUMP_CHUNK) {
      const keys = ['ver:sequence', ...versionKeys.slice(i, i + BUMP_CHUNK)];
      await this.client.eval(BUMP, keys.length, ...keys);
    }
  }

  /** Resolves true once connected, false when not connected within timeoutMs (commands then fail until it is). */
  waitUntilReady(timeoutMs: number): Promise<boolean> {
    if (this.client.status === 'ready') return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ready: boolean) => {
        clearTimeout(timer);
        this.client.off('ready', onReady);
        resolve(ready);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.client.once('ready', onReady);
    });
  }

  onReady(listener: () => void): void {
    this.readyListeners.push(listener);
  }

  close(): Promise<void> {
    this.client.disconnect();
    return Promise.resolve();
  }

  private ensureReady(): void {
    if (this.client.status !== 'ready') throw new CacheUnavailableError(`Redis is not connected (${this.client.status})`);
  }
}
