import { createHash } from 'node:crypto';
import type { Logger } from '../logger.js';
import { createCacheMetrics, type CacheMetrics } from './metrics.js';
import type { CacheStore } from './store.js';

export interface MovieCacheOptions {
  store: CacheStore;
  ttlSeconds: number;
  logger?: Logger;
  metrics?: CacheMetrics;
  /** Tells other processes about changed movies, or that every movie may have changed (processes without a shared store). */
  publish?: (movieIds: string[] | 'all') => Promise<void>;
  /** Releases what else the cache holds (a LISTEN connection). */
  onClose?: () => Promise<void>;
}

interface Entry {
  key: string;
  /** Version keys the entry was computed under; it is valid while they keep their values. */
  deps: string[];
}

const ALL = 'ver:all';
const LISTS = 'ver:lists';
const movieVersion = (id: string) => `ver:movie:${id}`;
// Beyond this many movies waiting for an invalidation that failed, everything is invalidated instead.
const MAX_PENDING = 50_000;
const WARN_EVERY_MS = 30_000;

/**
 * Cache-aside for curated movies. Every entry records the versions it was read under, and the
 * versions are read *before* the database, so a reader that raced with a change stores its
 * answer under versions the change has already replaced: no stale answer outlives the
 * invalidation that follows every committed change. Per-movie entries depend on their movie's
 * version, lists and searches on one version that every change moves. A failing store never
 * fails a request: it is counted, logged, and the database answers.
 */
export class MovieCache {
  readonly metrics: CacheMetrics;
  private readonly pending = new Set<string>();
  private everythingPending = false;
  private degradedSince: number | null = null;
  private lastWarning = 0;

  constructor(private readonly options: MovieCacheOptions) {
    this.metrics = options.metrics ?? createCacheMetrics();
    options.store.onReady(() => void this.flushPending());
  }

  get kind(): CacheStore['kind'] {
    return this.options.store.kind;
  }

  /** Per-movie values of one kind, in the order of ids; `load` gets the ids the cache lacks. */
  perMovie<T>(kind: string, ids: readonly string[], load: (ids: string[]) => Promise<T[]>): Promise<T[]> {
    const entries = ids.map((id) => ({ key: `${kind}:${id}`, deps: [ALL, movieVersion(id)] }));
    return this.read(kind, entries, (missing) => load(missing.map((i) => ids[i]!)));
  }

  /** A value that any movie change invalidates (list pages, searches, external id lookups). */
  async shared<T>(kind: string, key: unknown, load: () => Promise<T>): Promise<T> {
    const digest = createHash('sha1').update(JSON.stringify(key)).digest('base64url');
    const [value] = await this.read(kind, [{ key: `${kind}:${digest}`, deps: [ALL, LISTS] }], async () => [await load()]);
    return value as T;
  }

  /** After committed changes to these movies. Never rejects: a failed invalidation is retried. */
  async invalidateMovies(movieIds: readonly string[]): Promise<void> {
    if (movieIds.length === 0) return;
    for (const id of movieIds) this.pending.add(id);
    await this.flushPending();
    if (this.options.publish) {
      await this.options.publish([...movieIds]).catch((error: unknown) => this.failure('publish', error));
    }
  }

  /** After a change to any number of movies (`moviec aggregate --all`): every entry is invalidated. */
  async invalidateAll(): Promise<void> {
    this.everythingPending = true;
    this.pending.clear();
    await this.flushPending();
    if (this.options.publish) await this.options.publish('all').catch((error: unknown) => this.failure('publish', error));
  }

  /** Changes another process made (without a shared store): invalidate here, tell no one. */
  async applyRemoteChange(movieIds: readonly string[] | 'all'): Promise<void> {
    if (movieIds === 'all') this.everythingPending = true;
    else for (const id of movieIds) this.pending.add(id);
    await this.flushPending();
  }

  async close(): Promise<void> {
    await this.options.onClose?.();
    await this.options.store.close();
  }

  private async read<T>(kind: string, entries: Entry[], load: (missing: number[]) => Promise<T[]>): Promise<T[]> {
    const { store, ttlSeconds } = this.options;
    const depKeys = [...new Set(entries.flatMap((e) => e.deps))];
    let cached: (string | null)[] | null = null;
    try {
      cached = await store.mget([...entries.map((e) => e.key), ...depKeys]);
      this.recovered();
    } catch (error) {
      this.failure('read', error);
    }
    if (!cached) {
      this.metrics.misses.inc({ kind }, entries.length);
      return load(entries.map((_, i) => i));
    }
    const versions = new Map(depKeys.map((key, i) => [key, cached[entries.length + i] ?? null]));
    const results: T[] = new Array<T>(entries.length);
    const missing: number[] = [];
    entries.forEach((entry, i) => {
      const hit = decode<T>(cached[i] ?? null, entry.deps.map((d) => versions.get(d) ?? null));
      if (hit) results[i] = hit.value;
      else missing.push(i);
    });
    if (entries.length > missing.length) this.metrics.hits.inc({ kind }, entries.length - missing.length);
    if (missing.length === 0) return results;
    this.metrics.misses.inc({ kind }, missing.length);
    const loaded = await load(missing);
    const writes: [string, string][] = missing.map((entryIndex, j) => {
      results[entryIndex] = loaded[j]!;
      const entry = entries[entryIndex]!;
      return [entry.key, JSON.stringify({ d: entry.deps.map((d) => versions.get(d) ?? null), v: loaded[j] })];
    });
    await store.set(writes, ttlSeconds).catch((error: unknown) => this.failure('write', error));
    return results;
  }

  private async flushPending(): Promise<void> {
    if (!this.everythingPending && this.pending.size === 0) return;
    const all = this.everythingPending;
    const ids = all ? [] : [...this.pending];
    try {
      await this.options.store.bump(all ? [ALL] : [LISTS, ...ids.map(movieVersion)]);
      if (all) {
        this.everythingPending = false;
        this.pending.clear();
      } else {
        for (const id of ids) this.pending.delete(id);
      }
      this.recovered();
    } catch (error) {
      this.failure('invalidate', error);
      if (this.pending.size > MAX_PENDING) {
        this.everythingPending = true;
        this.pending.clear();
      }
    }
  }

  private failure(operation: string, error: unknown): void {
    this.metrics.errors.inc({ operation });
    const now = Date.now();
    if (this.degradedSince === null || now - this.lastWarning > WARN_EVERY_MS) {
      this.options.logger?.warn(
        { err: error, operation, store: this.kind, since: new Date(this.degradedSince ?? now).toISOString() },
        'cache unavailable: answering from the database',
      );
      this.lastWarning = now;
    }
    this.degradedSince ??= now;
  }

  private recovered(): void {
    if (this.degradedSince === null) return;
    this.options.logger?.info({ store: this.kind, unavailableMs: Date.now() - this.degradedSince }, 'cache available again');
    this.degradedSince = null;
  }
}

function decode<T>(raw: string | null, versions: (string | null)[]): { value: T } | null {
  if (raw === null) return null;
  try {
    const parsed = JSON.parse(raw) as { d?: unknown; v: T };
    const deps = parsed.d;
    if (!Array.isArray(deps) || deps.length !== versions.length || deps.some((d, i) => d !== versions[i])) return null;
    return { value: parsed.v };
  } catch {
    return null;
  }
}
