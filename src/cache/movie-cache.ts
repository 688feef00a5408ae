import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { CacheTimeoutError } from '../errors.js';
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
  /**
   * Shared stores: tells every other process, through PostgreSQL, that invalidations could not be
   * delivered (called by close() when some are still pending), so they version the whole cache.
   */
  handOver?: () => Promise<void>;
  /** How long close() keeps retrying pending invalidations before handing them over (default 5 s). */
  closeWaitMs?: number;
  /** Larger values (JSON) are served but not stored (default 256 KiB): one answer cannot fill the store. */
  maxEntryBytes?: number;
  /** Characters of whole responses kept in this process beside a store that publishes its bumps (default 16 Mi). */
  maxKeptChars?: number;
}

/** A stored whole response: its text, the versions it was stored under, and the store epoch they were read in. */
export interface ResponseLookup {
  body: string | null;
  versions: (string | null)[];
  epoch: number;
  /**
   * Answered from the copy kept in this process: a place where the caller may keep what it derives
   * from the body (its bytes and ETag), for as long as the copy is kept.
   */
  derived?: { value?: unknown };
}

interface KeptResponse {
  tag: string;
  body: string;
  derived: { value?: unknown };
}

interface Entry {
  key: string;
  /** Version keys the entry was computed under; it is valid while they keep their values. */
  deps: string[];
}

const ALL = 'ver:all';
const LISTS = 'ver:lists';
const movieVersion = (id: string) => `ver:movie:${id}`;
const RESPONSE = 'response';
/** The versions an entry was stored under, as its first line. */
const versionTag = (versions: (string | null)[]) => versions.map((v) => v ?? '').join(',');
// Beyond this many movies waiting for an invalidation that failed, everything is invalidated instead.
const MAX_PENDING = 50_000;
const WARN_EVERY_MS = 30_000;
export const DEFAULT_MAX_ENTRY_BYTES = 256 * 1024;
const DEFAULT_MAX_KEPT_CHARS = 16 * 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Cache-aside for curated movies. Every entry records the versions it was read under, and the
 * versions are read *before* the database, so a reader that raced with a change stores its
 * answer under versions the change has already replaced: no stale answer outlives the
 * invalidation that follows every committed change. Per-movie entries depend on their movie's
 * version, lists and searches on one version that every change moves. A failing store never
 * fails a request: it is counted, logged, and the database answers.
 *
 * Invalidations survive a store outage: while some are pending this process does not read the
 * store at all (the database answers), a shared store that failed is versioned as a whole before
 * it is used again (other processes' invalidations may have been lost meanwhile), and close()
 * retries pending ones and then hands them over through PostgreSQL (handOver) instead of exiting
 * with them.
 */
export class MovieCache {
  readonly metrics: CacheMetrics;
  private readonly pending = new Set<string>();
  private everythingPending = false;
  private degradedSince: number | null = null;
  private lastWarning = 0;
  /**
   * Whole responses kept in this process, by key, with the version tag they were stored under:
   * valid while the store knows (knownVersions) that tag is still current. Dropped whenever the
   * store's epoch changes (bumps may have been missed).
   */
  private readonly kept: LRUCache<string, KeptResponse>;
  private keptEpoch = 0;
  private following = false;

  constructor(private readonly options: MovieCacheOptions) {
    this.metrics = options.metrics ?? createCacheMetrics();
    options.store.onReady((reconnected) => {
      // A shared store whose connection was lost (restarted, perhaps from an old snapshot, or cut
      // off while others invalidated): version all of it before it is read again.
      if (reconnected && this.kind === 'redis') {
        this.everythingPending = true;
        this.pending.clear();
      }
      void this.flushPending();
    });
    this.kept = new LRUCache({
      maxSize: options.maxKeptChars ?? DEFAULT_MAX_KEPT_CHARS,
      // The body counted twice: the caller may keep its bytes beside it (derived).
      sizeCalculation: (entry, key) => key.length + entry.tag.length + 2 * entry.body.length + 64,
    });
  }

  get kind(): CacheStore['kind'] {
    return this.options.store.kind;
  }

  /** Invalidations not yet applied to the store: until they are, the store is not read. */
  get hasPendingInvalidations(): boolean {
    return this.everythingPending || this.pending.size > 0;
  }

  /** Per-movie values of one kind, in the order of ids; `load` gets the ids the cache lacks. */
  perMovie<T>(kind: string, ids: readonly string[], load: (ids: string[]) => Promise<T[]>): Promise<T[]> {
    const entries = ids.map((id) => ({ key: `${kind}:${id}`, deps: [ALL, movieVersion(id)] }));
    return this.read(kind, entries, (missing) => load(missing.map((i) => ids[i]!)));
  }

  /**
   * A value that any movie change invalidates (list pages, searches, external id lookups). `load`
   * gets the catalogue generation it computes under (see sharedDerived).
   */
  async shared<T>(kind: string, key: unknown, load: (generation: string | null) => Promise<T>): Promise<T> {
    const [value] = await this.read(kind, [{ key: sharedKey(kind, key), deps: [ALL, LISTS] }], async (_missing, generation) => [await load(generation)]);
    return value as T;
  }

  /**
   * A shared value derived from another shared value (a search's page from its ranking), both read
   * in one store round trip: the derived one when stored (the base is then neither read nor
   * computed: `base` is undefined); otherwise the base as stored or computed, and the derived one
   * from it, the computed ones written in one round trip. Same keys as shared(), so shared() of
   * the base kind and key finds what this stored.
   *
   * `base.load` gets the catalogue generation it computes under: the versions every movie change
   * moves, read before the database (null when the store could not be read). What is derived from
   * the database after reading them is at least as new as that generation, so a process may keep
   * such derived facts in memory for as long as the generation is unchanged.
   */
  async sharedDerived<A, B>(
    base: { kind: string; key: unknown; load: (generation: string | null) => Promise<A> },
    derived: { kind: string; key: unknown; load: (base: A) => Promise<B> },
  ): Promise<{ base: A | undefined; value: B }> {
    const { store, ttlSeconds } = this.options;
    const baseKey = sharedKey(base.kind, base.key);
    const derivedKey = sharedKey(derived.kind, derived.key);
    const compute = async () => {
      const a = await base.load(null);
      return { base: a, value: await derived.load(a) };
    };
    if (this.hasPendingInvalidations) await this.flushPending();
    if (this.hasPendingInvalidations) {
      this.metrics.misses.inc({ kind: derived.kind });
      return compute();
    }
    let cached: (string | null)[] | null = null;
    try {
      cached = await store.mget([derivedKey, baseKey, ALL, LISTS]);
      this.recovered();
    } catch (error) {
      this.failure('read', error);
    }
    if (!cached) {
      this.metrics.misses.inc({ kind: derived.kind });
      return compute();
    }
    const versions = [cached[2] ?? null, cached[3] ?? null];
    const hit = decode<B>(cached[0] ?? null, versions);
    if (hit) {
      this.metrics.hits.inc({ kind: derived.kind });
      return { base: undefined, value: hit.value };
    }
    this.metrics.misses.inc({ kind: derived.kind });
    const writes: [string, string][] = [];
    const baseHit = decode<A>(cached[1] ?? null, versions);
    let a: A;
    if (baseHit) {
      this.metrics.hits.inc({ kind: base.kind });
      a = baseHit.value;
    } else {
      this.metrics.misses.inc({ kind: base.kind });
      a = await base.load(versionTag(versions));
      writes.push([baseKey, JSON.stringify({ d: versions, v: a })]);
    }
    const value = await derived.load(a);
    writes.push([derivedKey, JSON.stringify({ d: versions, v: value })]);
    const maxBytes = this.options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES;
    // Not awaited, as in read(): one connection keeps the order of this process's commands.
    void store.set(writes.filter(([, v]) => v.length <= maxBytes), ttlSeconds).catch((error: unknown) => this.failure('write', error));
    return { base: a, value };
  }

  /**
   * The version keys a whole GraphQL response depends on: those of the movies it shows (movie(id)
   * answers), or, for anything else (lists, searches, lookups by external id), the one that every
   * movie change moves.
   */
  responseDeps(movieIds: readonly string[] | null): string[] {
    return movieIds ? [ALL, ...movieIds.map(movieVersion)] : [ALL, LISTS];
  }

  /**
   * A stored whole response (its JSON text), read with the versions of its deps in one round trip.
   * `body` is null on a miss; `versions` are what to store the computed answer under (read before
   * the answer is computed, as perMovie does). null when the store cannot be used now (outage,
   * invalidations pending): compute the answer, and do not store it.
   *
   * Beside a store that publishes its bumps (Redis), an answer kept in this process under the
   * versions the store knows is answered from here once the store's barrier says every bump made
   * so far has been heard (one small command shared by the requests of a turn, instead of reading
   * the answer and its versions for each): a bump made before the request arrived (its aggregation
   * job finished before the request was sent) is never missed, and a Redis that hangs fails the
   * request over to the database as any read does.
   */
  async lookupResponse(key: string, deps: string[]): Promise<ResponseLookup | null> {
    const { store } = this.options;
    if (this.hasPendingInvalidations) await this.flushPending();
    if (this.hasPendingInvalidations) {
      this.metrics.misses.inc({ kind: RESPONSE });
      return null;
    }
    if (store.knownVersions) {
      if (!this.following) void this.followVersions(0);
      const known = store.knownVersions(deps);
      // A miss known without asking: the store's latest answer for this key (heard or read) is
      // under other versions than the ones known here, so nothing stored can answer. The answer
      // is computed at once and stored under the known versions: the statement follows them (a
      // bump heard came after its change committed), so the answer is at least as new as they
      // are; a bump still on its way only makes it unreachable sooner. Nothing is answered from
      // the store here, so no barrier is needed.
      if (known) {
        const stored = store.storedTag?.(key);
        if (stored !== undefined && stored !== versionTag(known)) {
          this.metrics.misses.inc({ kind: RESPONSE });
          return { body: null, versions: known, epoch: store.epoch ?? 0 };
        }
      }
      if (known && this.kept.has(key)) {
        let current: boolean;
        try {
          // Every bump made before this request was read has been heard: the known versions are current.
          current = (await store.barrier?.()) ?? false;
        } catch (error) {
          this.failure('read', error);
          this.metrics.misses.inc({ kind: RESPONSE });
          return null;
        }
        const kept = current ? this.keptResponse(key, deps) : null;
        if (kept) {
          this.metrics.hits.inc({ kind: RESPONSE });
          return kept;
        }
      }
    }
    const epoch = store.epoch ?? 0;
    let values: (string | null)[];
    try {
      values = await store.mget([key, ...deps]);
      this.recovered();
    } catch (error) {
      this.failure('read', error);
      this.metrics.misses.inc({ kind: RESPONSE });
      return null;
    }
    const versions = values.slice(1);
    store.learnVersions?.(deps, versions, epoch);
    const raw = values[0];
    const end = raw == null ? -1 : raw.indexOf('\n');
    store.learnStored?.(key, end >= 0 ? raw!.slice(0, end) : null, epoch);
    if (raw != null) {
      const tag = versionTag(versions);
      if (end >= 0 && raw.slice(0, end) === tag) {
        this.metrics.hits.inc({ kind: RESPONSE });
        const body = raw.slice(end + 1);
        this.keep(key, tag, body, epoch);
        return { body, versions, epoch };
      }
    }
    this.metrics.misses.inc({ kind: RESPONSE });
    return { body: null, versions, epoch };
  }

  /**
   * Stores a whole response under the versions lookupResponse gave before it was computed (and its
   * epoch). `derived`: what the caller made of the body already (see ResponseLookup.derived), kept
   * with the copy in this process. Never rejects.
   */
  storeResponse(key: string, versions: (string | null)[], body: string, epoch?: number, derived?: unknown): Promise<void> {
    if (body.length > (this.options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES)) return Promise.resolve();
    const tag = versionTag(versions);
    if (epoch !== undefined) this.keep(key, tag, body, epoch, derived);
    return this.options.store
      .set([[key, `${tag}\n${body}`]], this.options.ttlSeconds, [tag])
      .catch((error: unknown) => this.failure('write', error));
  }

  /** The response kept here under the versions the store knows to be current; null otherwise. */
  private keptResponse(key: string, deps: string[]): ResponseLookup | null {
    const { store } = this.options;
    if (this.hasPendingInvalidations) return null;
    const versions = store.knownVersions?.(deps);
    if (!versions) return null;
    const epoch = store.epoch ?? 0;
    if (epoch !== this.keptEpoch) {
      this.kept.clear();
      this.keptEpoch = epoch;
      return null;
    }
    const entry = this.kept.get(key);
    if (!entry || entry.tag !== versionTag(versions)) return null;
    return { body: entry.body, versions, epoch, derived: entry.derived };
  }

  /** Keeps a response here when its versions were read in the store's current epoch. */
  private keep(key: string, tag: string, body: string, epoch: number, derived?: unknown): void {
    const { store } = this.options;
    if (!store.knownVersions || (store.epoch ?? 0) !== epoch) return;
    if (epoch !== this.keptEpoch) {
      this.kept.clear();
      this.keptEpoch = epoch;
    }
    this.kept.set(key, { tag, body, derived: derived === undefined ? {} : { value: derived } });
  }

  /**
   * Follows the store's bumps (Redis pub/sub), so that whole responses kept in this process can be
   * answered without a round trip; lookupResponse starts it by itself. Resolves true once followed,
   * false when not within timeoutMs (it keeps trying) or when the store publishes no bumps.
   */
  followVersions(timeoutMs = 3000): Promise<boolean> {
    const { store } = this.options;
    if (!store.followVersions) return Promise.resolve(false);
    this.following = true;
    const followed = store.followVersions().then(() => true);
    if (timeoutMs <= 0) return followed;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    return Promise.race([followed, timeout]).finally(() => clearTimeout(timer));
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

  /** Delivers pending invalidations first (retrying for closeWaitMs, then handOver), then closes. */
  async close(): Promise<void> {
    const deadline = Date.now() + (this.options.closeWaitMs ?? 5000);
    while (this.hasPendingInvalidations) {
      await this.flushPending();
      if (!this.hasPendingInvalidations || Date.now() >= deadline) break;
      await sleep(200);
    }
    if (this.hasPendingInvalidations) {
      if (this.options.handOver) {
        await this.options.handOver().then(
          () => this.options.logger?.warn('cache invalidations could not reach the store; handed over to the other processes through PostgreSQL'),
          (error: unknown) => this.options.logger?.error({ err: error }, 'cache invalidations lost: neither the store nor PostgreSQL answered; entries expire after CACHE_TTL_SECONDS'),
        );
      }
    }
    await this.options.onClose?.();
    await this.options.store.close();
  }

  private async read<T>(kind: string, entries: Entry[], load: (missing: number[], generation: string | null) => Promise<T[]>): Promise<T[]> {
    const { store, ttlSeconds } = this.options;
    const depKeys = [...new Set(entries.flatMap((e) => e.deps))];
    if (this.hasPendingInvalidations) await this.flushPending();
    if (this.hasPendingInvalidations) {
      // The store may hold what a change replaced: neither read nor fill it until it is invalidated.
      this.metrics.misses.inc({ kind }, entries.length);
      return load(entries.map((_, i) => i), null);
    }
    let cached: (string | null)[] | null = null;
    try {
      cached = await store.mget([...entries.map((e) => e.key), ...depKeys]);
      this.recovered();
    } catch (error) {
      this.failure('read', error);
    }
    if (!cached) {
      this.metrics.misses.inc({ kind }, entries.length);
      return load(entries.map((_, i) => i), null);
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
    const loaded = await load(missing, versionTag(depKeys.map((key) => versions.get(key) ?? null)));
    const maxBytes = this.options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES;
    const writes: [string, string][] = [];
    missing.forEach((entryIndex, j) => {
      results[entryIndex] = loaded[j]!;
      const entry = entries[entryIndex]!;
      const value = JSON.stringify({ d: entry.deps.map((d) => versions.get(d) ?? null), v: loaded[j] });
      // Characters, a lower bound of the bytes: close enough for a cap.
      if (value.length <= maxBytes) writes.push([entry.key, value]);
    });
    // Not awaited: the answer does not wait for the write. Commands on the store's one connection
    // run in order, so a later read of this process sees it; a failed write is counted and logged.
    void store.set(writes, ttlSeconds).catch((error: unknown) => this.failure('write', error));
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
    // A shared store that failed may have missed other processes' invalidations too (a hung Redis
    // answers nobody): version all of it once it answers again, before it is read. Not for a write
    // that timed out on a connection still up: an answer stored late is under the versions read
    // before it was computed, so it is never served once they move; a hang is seen by the reads
    // (every lookup reads), and a restart or a lost connection by the reconnection (onReady).
    if (this.kind === 'redis' && operation !== 'publish' && !(operation === 'write' && error instanceof CacheTimeoutError)) {
      this.everythingPending = true;
      this.pending.clear();
    }
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

/** The store key of a shared value. */
function sharedKey(kind: string, key: unknown): string {
  return `${kind}:${createHash('sha1').update(JSON.stringify(key)).digest('base64url')}`;
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
