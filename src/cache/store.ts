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
   * too long to answer on a connection still up (the write may still be applied, later).
   */
  set(entries: [key: string, value: string][], ttlSeconds: number): Promise<void>;
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
