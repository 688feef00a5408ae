import type pg from 'pg';
import { MOVIE_EVENTS_CHANNEL, type MovieChangeNote } from '../db/movie-events.js';
import { listenToChannels, type ChannelListener } from '../db/listen.js';
import type { Logger } from '../logger.js';

/**
 * Movie changes for GraphQL subscriptions (movieChanged), in any API process: aggregation, in
 * whichever process it runs, NOTIFYs moviec_movie_events when its transaction commits, and each
 * API process LISTENs (one connection, opened with the first subscriber) and hands every change
 * to the subscribers it matches.
 */

export interface MovieChange {
  id: string;
  oldScore: number | null;
  newScore: number | null;
}

export interface ChangeFilter {
  /** Only these movies; absent: every movie. */
  ids?: string[] | null;
  /** Only changes of at least this many score points (a score appearing or vanishing counts). */
  minDelta?: number | null;
}

/** At most this many changes wait for a slow subscriber; older ones are dropped. */
const MAX_BUFFERED = 1000;

interface Subscriber {
  ids: Set<string> | null;
  minDelta: number | null;
  push(change: MovieChange): void;
}

export function matches(filter: { ids: Set<string> | null; minDelta: number | null }, change: MovieChange): boolean {
  if (filter.ids && !filter.ids.has(change.id)) return false;
  if (filter.minDelta === null) return true;
  if (change.oldScore === null || change.newScore === null) return change.oldScore !== change.newScore;
  return Math.abs(change.newScore - change.oldScore) >= filter.minDelta;
}

export class MovieChangeFeed {
  private readonly subscribers = new Set<Subscriber>();
  private listener: Promise<ChannelListener> | null = null;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger?: Logger,
  ) {}

  /** Starts listening now (otherwise with the first subscriber). */
  async start(): Promise<void> {
    await this.ensureListening();
  }

  private ensureListening(): Promise<ChannelListener> {
    this.listener ??= listenToChannels(this.pool, [MOVIE_EVENTS_CHANNEL], (_channel, payload) => this.deliver(payload), {
      ...(this.logger ? { logger: this.logger } : {}),
    }).catch((error: unknown) => {
      this.listener = null;
      throw error;
    });
    return this.listener;
  }

  private deliver(payload: string): void {
    let notes: MovieChangeNote[];
    try {
      notes = JSON.parse(payload) as MovieChangeNote[];
    } catch {
      this.logger?.warn('ignoring a malformed movie change notification');
      return;
    }
    for (const [id, oldScore, newScore] of notes) {
      const change = { id, oldScore, newScore };
      for (const subscriber of this.subscribers) if (matches(subscriber, change)) subscriber.push(change);
    }
  }

  /** The changes matching the filter from now on; ends when the consumer returns (unsubscribes). */
  async subscribe(filter: ChangeFilter): Promise<AsyncIterableIterator<MovieChange>> {
    if (this.closed) throw new Error('the movie change feed is closed');
    await this.ensureListening();
    const buffered: MovieChange[] = [];
    let waiting: ((result: IteratorResult<MovieChange>) => void) | null = null;
    let done = false;
    const subscriber: Subscriber = {
      ids: filter.ids?.length ? new Set(filter.ids.map((id) => id.toLowerCase())) : null,
      minDelta: filter.minDelta ?? null,
      push: (change) => {
        if (waiting) {
          const resolve = waiting;
          waiting = null;
          resolve({ value: change, done: false });
          return;
        }
        buffered.push(change);
        if (buffered.length > MAX_BUFFERED) buffered.shift();
      },
    };
    this.subscribers.add(subscriber);
    const finish = (): Promise<IteratorResult<MovieChange>> => {
      done = true;
      this.subscribers.delete(subscriber);
      waiting?.({ value: undefined, done: true });
      waiting = null;
      return Promise.resolve({ value: undefined, done: true });
    };
    const iterator: AsyncIterableIterator<MovieChange> = {
      next: () => {
        if (buffered.length) return Promise.resolve({ value: buffered.shift()!, done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (waiting = resolve));
      },
      return: finish,
      throw: async (error: unknown) => {
        await finish();
        throw error;
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const subscriber of [...this.subscribers]) subscriber.push = () => undefined;
    this.subscribers.clear();
    const listener = this.listener;
    this.listener = null;
    if (listener) await (await listener.catch(() => null))?.close();
  }
}
