import { LRUCache } from 'lru-cache';
import type { CacheStore } from './store.js';

export interface MemoryStoreOptions {
  maxEntries?: number;
  maxVersions?: number;
}

/** The in-process cache of a single MovieC process (REDIS_URL unset). */
export class MemoryStore implements CacheStore {
  readonly kind = 'memory';
  private readonly entries: LRUCache<string, string>;
  // An evicted version reads as missing, which no stored entry was written against but the ones
  // written while it was missing: those stay valid only until the next bump. See CacheStore.
  private readonly versions: LRUCache<string, string>;
  private sequence = 0;

  constructor({ maxEntries = 20_000, maxVersions = 200_000 }: MemoryStoreOptions = {}) {
    this.entries = new LRUCache({ max: maxEntries });
    this.versions = new LRUCache({ max: maxVersions });
  }

  mget(keys: string[]): Promise<(string | null)[]> {
    return Promise.resolve(keys.map((key) => this.entries.get(key) ?? this.versions.get(key) ?? null));
  }

  set(entries: [string, string][], ttlSeconds: number): Promise<void> {
    for (const [key, value] of entries) this.entries.set(key, value, { ttl: ttlSeconds * 1000 });
    return Promise.resolve();
  }

  bump(versionKeys: string[]): Promise<void> {
    const value = String(++this.sequence);
    for (const key of versionKeys) this.versions.set(key, value);
    return Promise.resolve();
  }

  onReady(): void {
    // Always reachable.
  }

  close(): Promise<void> {
    this.entries.clear();
    this.versions.clear();
    return Promise.resolve();
  }
}
