import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { CacheStore } from './store.js';
import { CacheTimeoutError, CacheUnavailableError } from '../errors.js';

export interface RedisStoreOptions {
  url: string;
  /** A command not answered within this time fails, and the request goes on without the cache. */
  commandTimeoutMs?: number;
  /** Key prefix, so one Redis can serve other applications too. */
  prefix?: string;
  onError?: (error: Error) => void;
  /** Version keys this process keeps a copy of while it follows the bump channel (default 100,000). */
  maxKnownVersions?: number;
  /** Keys whose stored tag this process remembers while it follows the channels (default 200,000). */
  maxKnownStores?: number;
}

// One sequence for every version key (see CacheStore): KEYS[1] is the sequence, the rest get its
// next value. ARGV[1], the bump channel: every process following it hears "<n> <key> <key> …" in
// the same atomic step (the message leaves Redis before the script's caller has its answer).
const BUMP = `local n = redis.call('INCR', KEYS[1])
for i = 2, #KEYS do redis.call('SET', KEYS[i], n) end
redis.call('PUBLISH', ARGV[1], n .. ' ' .. table.concat(KEYS, ' ', 2))
return n`;
const BUMP_CHUNK = 1000;
// Writes of one turn in one step: KEYS the entries' keys; ARGV[1] their expiry in seconds, ARGV[2]
// the stores channel ('' for none) and ARGV[3] the announcement, then the entries' values.
const WRITE = `for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i + 3], 'EX', ARGV[1]) end
if ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return #KEYS`;

/** The WRITE script as a command of the client (defineCommand: EVALSHA, EVAL when Redis lacks it). */
interface WriteCommand {
  moviecWrite(numberOfKeys: number, ...args: string[]): Promise<number>;
}
const SEQUENCE = 'ver:sequence';
/** What a key holds when a read found nothing there (storedTag null); no version tag has a space. */
const NOTHING = ' ';

/** A version value as a number (a missing key is older than every bump). */
const order = (value: string | null | undefined) => (value ? Number(value) : 0);

/**
 * The shared cache of every API and worker process. A request never waits for a Redis that is
 * down: commands are not queued while disconnected (they fail at once) and time out quickly, and
 * ioredis keeps reconnecting in the background, so caching resumes by itself. Commands issued in
 * one turn of the event loop (by concurrent requests) go out in one write (auto-pipelining).
 *
 * Known versions (followVersions): a process serving requests subscribes to the channel every
 * bump publishes on, and keeps the current value of the version keys it has read or heard of, so
 * that whether an answer it kept is current takes one tiny shared command (barrier: has every bump
 * made by now been heard?) instead of a read of the answer and its versions per request. While
 * that subscription is not established (connecting, lost, Redis restarted) nothing is known: every
 * lookup reads Redis, and what was known before is dropped (the epoch changes), since bumps may
 * have been missed. A Redis that hangs fails the barrier as it fails any read.
 *
 * Known stores: writes made with tags (whole responses) are announced on a second channel, in the
 * same pipeline right after the writes ("<key> <tag> <key> <tag> …"), and a following process
 * keeps the tag of each key's latest write (storedTag), so that a lookup whose current versions
 * no process has stored an answer under needs no read: the answer is computed at once.
 */
export class RedisStore implements CacheStore {
  readonly kind = 'redis';
  private readonly client: Redis;
  private readonly readyListeners: ((reconnected: boolean) => void)[] = [];
  /** A connection was ready once: a later 'ready' is a reconnection (Redis restarted, or the network). */
  private wasReady = false;
  private readonly url: string;
  private readonly prefix: string;
  private readonly channel: string;
  private readonly known: LRUCache<string, string>;
  private readonly storesChannel: string;
  /** Keys written with tags: the tag of their latest write heard or read (NOTHING: none), in this epoch. */
  private readonly stored: LRUCache<string, string>;
  private subscriber: Redis | null = null;
  private following = false;
  /** Every bump up to this sequence number is reflected in what is known (in this epoch). */
  private heardUpTo = 0;
  /** The barrier callers join now, not sent yet; and the one sent, not answered yet. */
  private nextBarrier: Promise<boolean> | null = null;
  private barrierInFlight: Promise<boolean> | null = null;
  private readonly followListeners: (() => void)[] = [];
  private currentEpoch = 0;
  /** Writes made but not sent yet (see set). */
  private readonly waitingWrites: { entries: [string, string][]; ttlSeconds: number; tags: readonly string[] | undefined; resolve: () => void; reject: (error: Error) => void }[] = [];
  private readonly onError: ((error: Error) => void) | undefined;

  constructor({ url, commandTimeoutMs = 300, prefix = 'moviec:', onError, maxKnownVersions = 100_000, maxKnownStores = 200_000 }: RedisStoreOptions) {
    this.url = url;
    this.prefix = prefix;
    this.channel = `${prefix}versions`;
    this.storesChannel = `${prefix}stores`;
    this.onError = onError;
    this.known = new LRUCache({ max: maxKnownVersions });
    this.stored = new LRUCache({ max: maxKnownStores });
    this.client = new Redis(url, {
      keyPrefix: prefix,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      commandTimeout: commandTimeoutMs,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
    });
    this.client.defineCommand('moviecWrite', { lua: WRITE });
    this.client.on('error', (error: Error) => onError?.(error));
    this.client.on('ready', () => {
      const reconnected = this.wasReady;
      this.wasReady = true;
      this.readyListeners.forEach((listener) => listener(reconnected));
    });
  }

  async mget(keys: string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    this.ensureReady();
    this.sendWrites();
    return await this.client.mget(keys);
  }

  /**
   * Writes go out with the next command this process sends, or at the end of this turn of the event
   * loop (setImmediate), whichever comes first: a computed answer's write then shares the socket
   * write (and Redis's wake-up) of the next request's read instead of costing one of its own. A
   * later read of this process still comes after it (every command sends the waiting writes first).
   * Writes with tags are announced after them (see the class comment), and known here at once.
   */
  set(entries: [string, string][], ttlSeconds: number, tags?: readonly string[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    if (this.client.status !== 'ready') return Promise.reject(new CacheUnavailableError(`Redis is not connected (${this.client.status})`));
    if (tags && this.following) entries.forEach(([key], i) => tags[i] !== undefined && this.stored.set(key, tags[i]));
    return new Promise<void>((resolve, reject) => {
      this.waitingWrites.push({ entries, ttlSeconds, tags, resolve, reject });
      if (this.waitingWrites.length === 1) setImmediate(this.sendWrites);
    });
  }

  /**
   * Sends the waiting writes, in the order they were made, as one script call per expiry (in
   * practice one): every write and the announcement of those with tags, one command and one reply
   * instead of one per entry (auto-pipelining still puts it in the socket write of this turn).
   */
  private readonly sendWrites = (): void => {
    if (this.waitingWrites.length === 0) return;
    const writes = this.waitingWrites.splice(0);
    if (this.client.status !== 'ready') {
      const error = new CacheUnavailableError(`Redis is not connected (${this.client.status})`);
      for (const { reject } of writes) reject(error);
      return;
    }
    const byExpiry = new Map<number, typeof writes>();
    for (const write of writes) {
      const group = byExpiry.get(write.ttlSeconds);
      if (group) group.push(write);
      else byExpiry.set(write.ttlSeconds, [write]);
    }
    for (const [ttlSeconds, group] of byExpiry) {
      const keys: string[] = [];
      const values: string[] = [];
      const announced: string[] = [];
      for (const { entries, tags } of group) {
        entries.forEach(([key, value], i) => {
          keys.push(key);
          values.push(value);
          if (tags?.[i] !== undefined) announced.push(key, tags[i]);
        });
      }
      // After the writes, in the same step: a process that hears of a write can read it.
      const channel = announced.length > 0 ? this.storesChannel : '';
      (this.client as unknown as WriteCommand)
        .moviecWrite(keys.length, ...keys, String(ttlSeconds), channel, announced.join(' '), ...values)
        .then(
          () => group.forEach(({ resolve }) => resolve()),
          (error: unknown) => {
            // ioredis's commandTimeout: no answer in time, on a connection still up (a lost one fails otherwise).
            const failure =
              error instanceof Error && error.message === 'Command timed out' && this.client.status === 'ready'
                ? new CacheTimeoutError(`Redis did not answer a write within its command timeout`, { cause: error })
                : (error as Error);
            group.forEach(({ reject }) => reject(failure));
          },
        );
    }
  };

  async bump(versionKeys: string[]): Promise<void> {
    this.ensureReady();
    for (let i = 0; i < versionKeys.length; i += BUMP_CHUNK) {
      const chunk = versionKeys.slice(i, i + BUMP_CHUNK);
      const keys = [SEQUENCE, ...chunk];
      const epoch = this.currentEpoch;
      this.sendWrites();
      const value = String(await this.client.eval(BUMP, keys.length, ...keys, this.channel));
      // This process's own bumps are known at once (not heardUpTo: others' may still be on their way).
      if (epoch === this.currentEpoch) this.hear(chunk, value);
    }
  }

  followVersions(): Promise<void> {
    const followed = new Promise<void>((resolve) => {
      if (this.following) resolve();
      else this.followListeners.push(resolve);
    });
    if (this.subscriber) return followed;
    const subscriber = new Redis(this.url, {
      autoResubscribe: false,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
    });
    this.subscriber = subscriber;
    subscriber.on('error', (error: Error) => this.onError?.(error));
    subscriber.on('close', () => this.forget());
    subscriber.on('ready', () => {
      const epoch = this.currentEpoch;
      // On this connection, before it subscribes: every bump up to this number happened before the
      // subscription, so reads made after it see them; every later one is heard, in order.
      subscriber
        .get(`${this.prefix}${SEQUENCE}`)
        .then(async (before) => {
          await subscriber.subscribe(this.channel, this.storesChannel);
          // Not if the connection was lost again meanwhile (its 'close' moved the epoch).
          if (epoch !== this.currentEpoch || this.subscriber !== subscriber) return;
          this.currentEpoch += 1;
          this.heardUpTo = order(before);
          this.following = true;
          this.followListeners.splice(0).forEach((listener) => listener());
        })
        .catch((error: Error) => this.onError?.(error));
    });
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.storesChannel) {
        if (this.following) this.heardStores(message);
        return;
      }
      const space = message.indexOf(' ');
      if (space < 0 || !this.following) return;
      const value = message.slice(0, space);
      this.hear(message.slice(space + 1).split(' ').map((key) => key.slice(this.prefix.length)), value);
      // Messages come in the order of the bumps: every bump up to this one has been heard.
      this.heardUpTo = Math.max(this.heardUpTo, order(value));
    });
    return followed;
  }

  /**
   * Whether every bump Redis has made by now has been heard (true), so knownVersions are current
   * for a request that arrived before this call; false when some are still on their way (or bumps
   * are not followed). One `GET` of the bump sequence for every caller of the same turn of the
   * event loop. Rejects when Redis does not answer.
   */
  barrier(): Promise<boolean> {
    if (!this.following) return Promise.resolve(false);
    // Callers join the next barrier, sent when the one in flight (sent before they came) is answered.
    if (!this.nextBarrier) {
      let release!: () => void;
      const sendable = new Promise<void>((resolve) => (release = resolve));
      this.nextBarrier = sendable.then(() => this.sendBarrier());
      if (this.barrierInFlight) void this.barrierInFlight.then(release, release);
      else setImmediate(release);
    }
    return this.nextBarrier;
  }

  private async sendBarrier(): Promise<boolean> {
    const barrier = this.nextBarrier;
    this.nextBarrier = null;
    this.barrierInFlight = barrier;
    try {
      const epoch = this.currentEpoch;
      this.ensureReady();
      this.sendWrites();
      const sequence = await this.client.get(SEQUENCE);
      return this.following && epoch === this.currentEpoch && order(sequence) <= this.heardUpTo;
    } finally {
      if (this.barrierInFlight === barrier) this.barrierInFlight = null;
    }
  }

  get epoch(): number {
    return this.currentEpoch;
  }

  knownVersions(keys: readonly string[]): (string | null)[] | null {
    if (!this.following) return null;
    const values: (string | null)[] = new Array<string | null>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const value = this.known.get(keys[i]!);
      if (value === undefined) return null;
      values[i] = value === '' ? null : value;
    }
    return values;
  }

  learnVersions(keys: readonly string[], values: readonly (string | null)[], epoch: number): void {
    // A read that began before the subscription (re)started may be older than a bump it missed.
    if (!this.following || epoch !== this.currentEpoch) return;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const value = values[i] ?? '';
      const current = this.known.get(key);
      // Replies and messages come on two connections: keep the newest value either told.
      if (current === undefined || order(value) > order(current)) this.known.set(key, value);
    }
  }

  storedTag(key: string): string | null | undefined {
    if (!this.following) return undefined;
    const tag = this.stored.get(key);
    return tag === NOTHING ? null : tag;
  }

  learnStored(key: string, tag: string | null, epoch: number): void {
    if (this.following && epoch === this.currentEpoch) this.stored.set(key, tag ?? NOTHING);
  }

  /** Writes announced: "<key> <tag> <key> <tag> …" (a key's latest write is heard last). */
  private heardStores(message: string): void {
    const parts = message.split(' ');
    for (let i = 0; i + 1 < parts.length; i += 2) this.stored.set(parts[i]!, parts[i + 1]);
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

  onReady(listener: (reconnected: boolean) => void): void {
    this.readyListeners.push(listener);
  }

  close(): Promise<void> {
    this.sendWrites();
    this.forget();
    this.subscriber?.disconnect();
    this.subscriber = null;
    this.client.disconnect();
    return Promise.resolve();
  }

  /** Bumps heard: these keys now have this value (unless a newer one was heard already). */
  private hear(keys: readonly string[], value: string): void {
    if (!this.following) return;
    for (const key of keys) {
      const current = this.known.get(key);
      if (current === undefined || order(value) > order(current)) this.known.set(key, value);
    }
  }

  /** The subscription is gone: bumps may be missed from now on, so nothing is known. */
  private forget(): void {
    this.following = false;
    this.heardUpTo = 0;
    this.currentEpoch += 1;
    this.known.clear();
    this.stored.clear();
  }

  private ensureReady(): void {
    if (this.client.status !== 'ready') throw new CacheUnavailableError(`Redis is not connected (${this.client.status})`);
  }
}
