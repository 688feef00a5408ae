/**
 * Where cached values live: Redis, or an in-process LRU when REDIS_URL is unset. Values are JSON
 * strings. Version keys never expire; `bump` gives each a value no key has had before, from one
 * global sequence, so an evicted or lost version key can never make an old entry valid again.
 */
export interface CacheStore {
  readonly kind: 'memory' | 'redis';
  /** The values of the keys (null when missing); rejects when the store cannot answer. */
  mget(keys: string[]): Promise<(string | null)[]>;
  /**
   * Writes entries that expire after ttlSeconds. Rejects with CacheTimeoutError when the store took
   * too long to answer on a connection still up (the write may still be applied, later). `tags`:
   * the version tag each entry was computed under (whole responses); a store that publishes its
   * bumps also tells every process following them that the key now holds that tag (storedTag).
   */
  set(entries: [key: string, value: string][], ttlSeconds: number, tags?: readonly string[]): Promise<void>;
  /** Sets every version key to a fresh sequence number. */
  bump(versionKeys: string[]): Promise<void>;
  /**
   * Shared stores that publish every bump (Redis): start following them, so that knownVersions
   * can answer without a round trip. Until the subscription is established nothing is known;
   * resolves once it first is (never rejects: it keeps trying).
   */
  followVersions?(): Promise<void>;
  /** Changes whenever what was known may have missed a bump (subscription lost or restarted). */
  readonly epoch?: number;
  /** The current values of these version keys when all are known here (followed), else null. */
  knownVersions?(keys: readonly string[]): (string | null)[] | null;
  /**
   * Resolves true when every bump made by now has been heard, so knownVersions are current for
   * anything that happened before the call; false when not (read the store instead); rejects when
   * the store does not answer.
   */
  barrier?(): Promise<boolean>;
  /**
   * What the store holds under a key written with tags (see set), as far as this process knows:
   * the tag of its latest write heard or read in the current epoch, null when a read found nothing
   * and no write was heard since, undefined when unknown. Writes are heard in the order the store
   * made them, so a known tag that differs from the current versions means the store holds no
   * answer under them (but for a write still on its way: then the answer is computed once more).
   */
  storedTag?(key: string): string | null | undefined;
  /** What an mget started in `epoch` found under a key written with tags: its tag, or null for nothing. */
  learnStored?(key: string, tag: string | null, epoch: number): void;
  /** Values of version keys read by mget started in `epoch`: kept when still followed in it. */
  learnVersions?(keys: readonly string[], values: readonly (string | null)[], epoch: number): void;
  /**
   * Calls back whenever the store becomes reachable again after an outage; `reconnected` when a
   * connection it had was lost on the way (a restart of a shared store, or the network): what it
   * holds may then have missed invalidations.
   */
  onReady(listener: (reconnected: boolean) => void): void;
  close(): Promise<void>;
}
