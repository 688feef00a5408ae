/**
 * Where cached values live: Redis, or an in-process LRU when REDIS_URL is unset. Values are JSON
 * strings. Version keys never expire; `bump` gives each a value no key has had before, from one
 * global sequence, so an evicted or lost version key can never make an old entry valid again.
 */
export interface CacheStore {
  readonly kind: 'memory' | 'redis';
  /** The values of the keys (null when missing); rejects when the store cannot answer. */
  mget(keys: string[]): Promise<(string | null)[]>;
  /** Writes entries that expire after ttlSeconds. */
  set(entries: [key: string, value: string][], ttlSeconds: number): Promise<void>;
  /** Sets every version key to a fresh sequence number. */
  bump(versionKeys: string[]): Promise<void>;
  /** Calls back whenever the store becomes reachable again after an outage. */
  onReady(listener: () => void): void;
  close(): Promise<void>;
}
