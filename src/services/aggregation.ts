import type pg from 'pg';
import { enqueueNeverAggregated, enqueueRematch, pendingAggregationJobs, REFIT_DELAY_SECONDS } from '../db/jobs.js';
import { withTransaction } from '../db/pool.js';
import { buildDeferredIndexes } from '../db/deferred-indexes.js';
import { enqueueRefit } from '../db/scoring-jobs.js';
import { AGGREGATION_JOBS, JOB } from '../jobs.js';
import { aggregateAll, aggregateAllInBulk, aggregateMovies, type AggregateOutcome } from '../scoring/aggregate.js';
import { refitPriors, type RefitOutcome } from '../scoring/priors.js';
import { providerDefinitions } from '../sources/registry.js';
import { HeapKeeper } from '../ingest/heap.js';

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
  /** The whole catalogue was rebuilt in bulk instead (aggregateChunk); the lists above are then empty. */
  rebuilt?: { movies: number; changed: number; removed: number; created: number };
  /** The scoring fit the bulk rebuild took from the ratings it wrote (adopted, or the current one kept). */
  fit?: RefitOutcome;
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
 * When an `aggregate-movies` job rebuilds the catalogue in bulk instead: at least this many queued
 * aggregation jobs (chunks of a large import, or of a first load's job that did not rebuild) and
 * never-aggregated movies (and half of all); an `aggregate-first-load` job needs only the movies.
 * The bulk transaction holds the catalogue's tables (API readers wait for it): below that, chunks
 * take seconds anyway.
 */
export const BULK_JOB_THRESHOLDS = { minQueuedJobs: 20, minFresh: 50_000 };

export interface ChunkAggregationOptions extends Omit<AggregateOptions, 'takeQueued' | 'alsoInvalidate'> {
  /** The thresholds of the bulk path (tests): never-aggregated movies (and half of all), queued aggregation jobs. */
  bulk?: { minFresh: number; minQueuedJobs: number };
}

/**
 * An `aggregate-movies` job (a chunk of an import's changed movies). After a first import, when
 * many such jobs wait and most of the catalogue was never aggregated, the job rebuilds the whole
 * catalogue in bulk instead (scoring/aggregate.ts aggregateAllInBulk, a fraction of the cost per
 * movie) and takes the waiting aggregation jobs with it, in the same transaction. Otherwise, or
 * when the bulk path's locks are not granted, it aggregates its own movies.
 */
export async function aggregateChunk(
  deps: AggregationDependencies,
  movieIds: string[],
  { bulk = BULK_JOB_THRESHOLDS, ...options }: ChunkAggregationOptions = {},
): Promise<AggregationResult> {
  if ((await pendingAggregationJobs(deps.pool)) >= bulk.minQueuedJobs) {
    await options.beforeStart?.();
    const rebuilt = await rebuildInBulk(deps, bulk.minFresh, options, movieIds);
    if (rebuilt) return rebuilt;
    return aggregateAndInvalidate(deps, movieIds, { afterCommit: options.afterCommit });
  }
  return aggregateAndInvalidate(deps, movieIds, options);
}

/** An `aggregate-first-load` job's result: the rebuild in bulk, or how many never-aggregated movies it queued in chunks instead. */
export interface FirstLoadAggregation {
  rebuilt: AggregationResult | null;
  queued: number;
}

/**
 * An `aggregate-first-load` job (queued by a first load: an import into an empty catalogue, all of
 * whose movies are new). Rebuilds the whole catalogue in bulk when that pays (most of it never
 * aggregated, at least `bulk.minFresh` movies) and takes the other waiting aggregation jobs and
 * the refit with it; otherwise, or when the bulk path's locks are not granted, queues the movies
 * never aggregated as `aggregate-movies` chunks, the jobs a first load queued itself before (each
 * of which may still rebuild in bulk, aggregateChunk).
 */
export async function aggregateFirstLoad(
  deps: AggregationDependencies,
  { bulk = BULK_JOB_THRESHOLDS, refitDelaySeconds = REFIT_DELAY_SECONDS, ...options }: ChunkAggregationOptions & { refitDelaySeconds?: number } = {},
): Promise<FirstLoadAggregation> {
  await options.beforeStart?.();
  // A refit queued meanwhile (the import's) is left to this job (workers/tasks.ts): the bulk
  // rebuild fits the scoring itself and takes it; the chunks queue it again, after them.
  const rebuilt = await rebuildInBulk(deps, bulk.minFresh, options);
  if (rebuilt) {
    // Aggregation jobs the rebuild did not take (another import's, queued while it ran) write
    // ratings after its fit: a refit follows them.
    if ((await pendingAggregationJobs(deps.pool, [JOB.aggregateMovie, JOB.aggregateMovies])) > 0) await enqueueRefit(deps.pool, refitDelaySeconds);
    return { rebuilt, queued: 0 };
  }
  const queued = await withTransaction(deps.pool, async (client) => {
    // The movies indexes the first load left to a bulk rebuild (db/deferred-indexes.ts): built here instead.
    await buildDeferredIndexes(client);
    const movies = await enqueueNeverAggregated(client);
    await enqueueRefit(client, refitDelaySeconds);
    return movies;
  });
  return { rebuilt: null, queued };
}

/**
 * The catalogue rebuilt in bulk (scoring/aggregate.ts aggregateAllInBulk) for an aggregation job,
 * then invalidated; null when it does not pay or its locks are not granted (nothing done).
 * `among`: the job's own movies, most of which must never have been aggregated.
 */
async function rebuildInBulk(
  deps: AggregationDependencies,
  minFresh: number,
  options: Pick<AggregateOptions, 'afterCommit'>,
  among?: string[],
): Promise<AggregationResult | null> {
  // The rebuild fits the scoring from the ratings it writes, first: the refit the import queued
  // then finds its fit current instead of re-aggregating every scored movie.
  // Each chunk's reads, results and COPY lines outlive young-generation collections (chunks are
  // read ahead and written behind while Node computes one): without a full collection after each
  // chunk the heap grew by ~180 MB over the real dump's rebuild, on top of the import's and the
  // Prisma engine's ~90 MB (moviec import runs this worker in its own process: 525 MB before).
  HeapKeeper.collectNow();
  const heap = new HeapKeeper(0);
  const rebuilt = await aggregateAllInBulk(deps.pool, {
    // The refit the import queued (when due) is taken too: the rebuild made its decision, on the
    // ratings it would read, so it would only read them again (~2-4 s at the real dump).
    takeQueued: [...AGGREGATION_JOBS, JOB.refitScoring], minFresh, lockTimeoutMs: 2_000, ...(among ? { among } : {}),
    fit: 'first aggregation',
    onChunk: () => heap.tick(),
  });
  if (!rebuilt) return null;
  await options.afterCommit?.();
  if (rebuilt.changed + rebuilt.removed > 0) await deps.invalidate?.('all');
  if (rebuilt.created > 0) await enqueueRematch(deps.pool);
  const { fit, ...counts } = rebuilt;
  return {
    changed: [], created: [], removed: [], unchanged: rebuilt.movies - rebuilt.changed - rebuilt.removed, taken: 0, rebuilt: counts,
    ...(fit ? { fit } : {}),
  };
}

/**
 * `moviec aggregate --all`: refits every provider's prior and calibration from the catalogue (the
 * same refit imports run by themselves: on unchanged ratings it keeps the current fit), recomputes
 * every movie (aggregateAll: chunks in parallel, or in bulk, which fits again from the ratings it
 * writes), then invalidates every cached movie when any changed.
 */
export async function aggregateEverything(
  { pool, invalidate }: AggregationDependencies,
  callbacks: { onFit?: (fit: RefitOutcome) => void; onChunk?: (changed: number, movies: number) => void } = {},
): Promise<{ movies: number; changed: number }> {
  callbacks.onFit?.(await refitPriors(pool, providerDefinitions(), 'aggregate --all'));
  let changed = 0;
  let movies = 0;
  const heap = new HeapKeeper();
  await aggregateAll(pool, {
    // In bulk (a catalogue mostly never aggregated), the fit is taken again from the ratings the
    // rebuild writes: the refit above saw the ratings before it.
    fit: 'aggregate --all',
    onFit: (fit) => {
      if (fit.adopted) callbacks.onFit?.(fit);
    },
    onChunk: (outcome, ids) => {
      changed += outcome.changed.length + outcome.removed.length;
      movies += ids.length;
      heap.tick();
      callbacks.onChunk?.(changed, movies);
    },
  });
  if (changed > 0) await invalidate?.('all');
  return { movies, changed };
}
