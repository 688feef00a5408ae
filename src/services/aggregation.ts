import type pg from 'pg';
import { enqueueRematch } from '../db/jobs.js';
import { JOB } from '../jobs.js';
import { aggregateAll, aggregateMovies, type AggregateOutcome } from '../scoring/aggregate.js';
import { refitPriors, type RefitOutcome } from '../scoring/priors.js';
import { providerDefinitions } from '../sources/registry.js';

/**
 * Aggregation and what follows it, once for every caller (worker tasks, admin mutations, the CLI):
 * recompute curated movies from their provider records, then invalidate what the caches hold of
 * the movies that changed, and queue a retry of title matching when new movies appeared.
 */

/** Drops cached movies after they changed: the ids, or 'all' after a full recomputation. */
export type Invalidate = (movieIds: string[] | 'all') => Promise<void> | void;

/** The Invalidate of a cache (src/cache/movie-cache.ts). */
export function invalidateThrough(cache: { invalidateMovies(ids: string[]): Promise<void>; invalidateAll(): Promise<void> }): Invalidate {
  return (ids) => (ids === 'all' ? cache.invalidateAll() : cache.invalidateMovies(ids));
}

export interface AggregationDependencies {
  pool: pg.Pool;
  /** None: nothing is cached in this process or any other (tests, tools). */
  invalidate?: Invalidate;
}

export interface AggregateOptions {
  /** Movies to invalidate as well: their rows were written around the aggregation (an admin lock, a relink). */
  alsoInvalidate?: string[];
  /** Awaited before the aggregation opens its transaction (a worker's fault point). */
  beforeStart?: () => void | Promise<void>;
  /** Awaited once the aggregation committed, before anything is invalidated (a worker's fault point). */
  afterCommit?: () => void | Promise<void>;
  /**
   * Also take up to this many other queued `aggregate-movie` jobs that a worker could start now,
   * and aggregate their movies in the same transaction, which deletes those jobs: they are done
   * when it commits, and back in the queue untouched when it does not. A job per movie costs a
   * transaction and the queue's round trips each; taken together they cost what a chunk does.
   * Only in a burst (TAKE_QUEUED_MIN such jobs waiting): a few are left to the workers, in parallel.
   */
  takeQueued?: number;
}

export interface AggregationResult extends AggregateOutcome {
  /** Queued jobs taken over (takeQueued). */
  taken: number;
}

/** How many other due per-movie jobs make a burst worth taking into one transaction (AggregateOptions.takeQueued). */
export const TAKE_QUEUED_MIN = 10;

/** Aggregates the movies, then invalidates the changed and removed ones (and `alsoInvalidate`). */
export async function aggregateAndInvalidate(
  { pool, invalidate }: AggregationDependencies,
  movieIds: string[],
  { alsoInvalidate = [], beforeStart, afterCommit, takeQueued = 0 }: AggregateOptions = {},
): Promise<AggregationResult> {
  await beforeStart?.();
  const take = { task: JOB.aggregateMovie, limit: takeQueued, min: TAKE_QUEUED_MIN, taken: 0 };
  let outcome: AggregateOutcome;
  try {
    outcome = await aggregateMovies(pool, movieIds, takeQueued > 0 ? { takeQueued: take } : {});
  } catch (error) {
    if (take.taken === 0) throw error;
    // A taken movie that cannot be aggregated must fail its own job, not this one: the taken jobs
    // are back in the queue (the transaction rolled back), and these movies are aggregated alone.
    take.taken = 0;
    outcome = await aggregateMovies(pool, movieIds);
  }
  await afterCommit?.();
  const touched = [...new Set([...alsoInvalidate, ...outcome.changed, ...outcome.removed])];
  if (touched.length) await invalidate?.(touched);
  if (outcome.created.length) await enqueueRematch(pool);
  return { ...outcome, taken: take.taken };
}

/**
 * `moviec aggregate --all`: refits every provider's prior and calibration from the catalogue (the
 * same refit imports run by themselves: on unchanged ratings it keeps the current fit), recomputes
 * every movie (aggregateAll: chunks in parallel), then invalidates every cached movie when any changed.
 */
export async function aggregateEverything(
  { pool, invalidate }: AggregationDependencies,
  callbacks: { onFit?: (fit: RefitOutcome) => void; onChunk?: (changed: number, movies: number) => void } = {},
): Promise<{ movies: number; changed: number }> {
  callbacks.onFit?.(await refitPriors(pool, providerDefinitions(), 'aggregate --all'));
  let changed = 0;
  let movies = 0;
  await aggregateAll(pool, {
    onChunk: (outcome, ids) => {
      changed += outcome.changed.length + outcome.removed.length;
      movies += ids.length;
      callbacks.onChunk?.(changed, movies);
    },
  });
  if (changed > 0) await invalidate?.('all');
  return { movies, changed };
}
