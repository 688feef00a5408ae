import { hash as digest } from 'node:crypto';
import type pg from 'pg';
import { beginBulkAggregation, countFreshAmong, countFreshMovies, type BulkAggregation } from '../db/aggregate-bulk.js';
import {
  aggregateLocked, allMovieIds, type AggregateWrites, type AggregationRecordRow, type LockedMovie, type QueuedAggregation,
} from '../db/aggregates.js';
import { addGenreLine, addMovieLine, addRatingLine, addTitleLine, copyLines, titleKey, type CopyLines, type Provenances } from '../db/bulk-lines.js';
import { addSearchInputs } from '../db/search-lines.js';
import { retryingConflicts } from '../db/errors.js';
import { findProvider } from '../sources/registry.js';
import type { ProviderDefinition } from '../sources/types.js';
import { normalizeTitle } from '../matching/normalize-title.js';
import { movieChangeEvents } from './change-events.js';
import { computeAggregate, groupByMovie, type DefinitionLookup } from './compute.js';
import { priorLookup, type RefitOutcome } from './priors.js';
import { fitBeforeRebuild } from './rebuild-fit.js';
import type { MovieEventBatch } from '../db/movie-events.js';
import type { PriorRow } from '../db/scoring-priors.js';
import type { AggregateResult } from './types.js';

export interface AggregateOutcome {
  /** Movies whose curated state changed and was written. */
  changed: string[];
  /** Of those, movies aggregated for the first time (new in the catalogue). */
  created: string[];
  /** Movies left without any provider record, removed. */
  removed: string[];
  unchanged: number;
}

/** The registry's definitions, looked up once per provider per batch (providers may register later, so not for ever). */
function definitionLookup(): DefinitionLookup {
  const definitions = new Map<string, ProviderDefinition | undefined>();
  return (key) => {
    let definition = definitions.get(key);
    if (definition === undefined && !definitions.has(key)) definitions.set(key, (definition = findProvider(key)?.definition));
    return definition;
  };
}

/**
 * Recomputes curated movies from their provider records, set-based: one statement per table for
 * the whole batch. The movies are locked (in id order, so concurrent batches cannot deadlock)
 * for the transaction, so two aggregations of one movie serialise instead of interleaving, and a
 * movie is written only when its result differs from the stored one.
 */
export async function aggregateMovies(
  pool: pg.Pool,
  movieIds: string[],
  options: { takeQueued?: QueuedAggregation } = {},
): Promise<AggregateOutcome> {
  // Movies are locked in id order here, but an import's merge or a rematch touching the same rows
  // in another order can still deadlock with it (seen in the concurrency soak): PostgreSQL aborts
  // one transaction whole, and it is run again.
  return retryingConflicts(() => aggregateOnce(pool, movieIds, options.takeQueued));
}

async function aggregateOnce(pool: pg.Pool, movieIds: string[], takeQueued?: QueuedAggregation): Promise<AggregateOutcome> {
  const ids = [...new Set(movieIds)].sort();
  if (ids.length === 0) return { changed: [], created: [], removed: [], unchanged: 0 };
  return aggregateLocked(pool, ids, ({ locked, records, priors }) => computeBatch(locked, records, priors), { takeQueued });
}

/**
 * What a batch of locked movies becomes: the writes (changed results, removed movies, change
 * events) and the outcome. One movie at a time, start to end (computed, hashed, its rows and events
 * made), so that only the rows to write outlive it: a batch's intermediate results die young.
 */
export function computeBatch(
  locked: LockedMovie[],
  rows: AggregationRecordRow[],
  priorRows: PriorRow[],
  options: BatchOptions = {},
): ComputedBatch {
  const steps = computeInSlices(locked, rows, priorRows, options, Infinity);
  let step = steps.next();
  while (!step.done) step = steps.next();
  return step.value;
}

/**
 * computeBatch that lets the event loop turn every `slice` movies. The bulk rebuild computes a
 * chunk while PostgreSQL writes the last one, but node-postgres sends a connection's next
 * statement only from an I/O callback: in one synchronous computation of a whole chunk (~100 ms)
 * the rebuild's backend finishes its statement and then waits, so the two added up instead of
 * overlapping.
 */
export async function computeBatchYielding(
  locked: LockedMovie[],
  rows: AggregationRecordRow[],
  priorRows: PriorRow[],
  options: BatchOptions = {},
  slice = 250,
): Promise<ComputedBatch> {
  const steps = computeInSlices(locked, rows, priorRows, options, slice);
  let step = steps.next();
  while (!step.done) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    step = steps.next();
  }
  return step.value;
}

type BatchOptions = {
  events?: boolean;
  /** The changed movies as the bulk rebuild's COPY lines (writes.copy), not as row objects. */
  copy?: boolean;
  /**
   * With `copy`: genres' ids by name (the table `genres`), for movie_genres' lines; a genre whose
   * name is not here is left to the SQL's join (CopyLines.unplacedGenres).
   */
  genreIds?: ReadonlyMap<string, number>;
  /** With `copy`: the rebuild's numbered provenances (each sent once, db/bulk-lines.ts). */
  provenances?: Provenances;
};
type ComputedBatch = { writes: AggregateWrites; result: AggregateOutcome };

/** computeBatch's work, pausing (a yield) after every `slice` movies. */
function* computeInSlices(
  locked: LockedMovie[],
  rows: AggregationRecordRow[],
  priorRows: PriorRow[],
  options: BatchOptions,
  slice: number,
): Generator<void, ComputedBatch, void> {
  const records = groupByMovie(rows);
  const priors = priorLookup(priorRows);
  const lookup = definitionLookup();
  // Webhook deliveries and subscription notices commit with the change (issue 20). No enabled
  // webhook: the deliveries' events would be dropped by moviec_movie_events unread, so none is built.
  const events: MovieEventBatch = { links: [], changes: [], events: [] };
  const wanted = options.events !== false;
  const writes: AggregateWrites = { removed: [], movies: [], titles: [], ratings: [], genres: [], unknownGenres: [], events };
  const copy = options.copy ? (writes.copy = copyLines()) : undefined;
  const changed: string[] = [];
  const created: string[] = [];
  // A locked title exists only on the movie: its normalised form is stored with the write, for the
  // SQL that compares titles (title_forms; there is no SQL normaliser).
  const lockedTitles = new Set<string>();
  let sinceYield = 0;
  for (const movie of locked) {
    if (++sinceYield > slice) {
      sinceYield = 1;
      yield;
    }
    const movieRows = records.get(movie.id);
    const result = computeAggregate(movieRows ?? [], lookup, priors, movie.locks);
    let written: AggregateResult | undefined;
    let hash = '';
    if (!result) writes.removed.push(movie.id);
    else {
      // The providers that withdrew a record of the movie (Movie.withdrawnFrom) are part of what it
      // shows: a new flag is a change, written and invalidated like any other.
      const withdrawnFrom = movieRows!.some((r) => r.withdrawn) ? [...new Set(movieRows!.filter((r) => r.withdrawn).map((r) => r.providerKey))].sort() : [];
      // The stored aggregate_hash: sha1 of the result's JSON. Its recipe must not change, or every
      // stored movie would be rewritten once by its next aggregation.
      hash = digest('sha1', JSON.stringify(withdrawnFrom.length ? { result, withdrawnFrom } : result), 'hex');
      if (hash !== movie.aggregate_hash) written = result;
    }
    const linksHash = movieChangeEvents(events, movie, movieRows, written, wanted);
    if (!written) {
      if (linksHash !== null) events.links.push({ movie_id: movie.id, links_hash: linksHash });
      continue;
    }
    changed.push(movie.id);
    if (movie.aggregate_hash === null) created.push(movie.id);
    if (typeof movie.locks.title === 'string') lockedTitles.add(movie.locks.title);
    // A written movie takes its new links hash in the same update (one row version, not two).
    if (copy) addLines(copy, writes, movie.id, written, hash, linksHash, movie.locks, options);
    else addWrites(writes, movie.id, written, hash, linksHash);
  }
  writes.titleForms = [...lockedTitles].map((title) => ({ title, normalized: normalizeTitle(title) }));
  return {
    writes,
    result: { changed, created, removed: writes.removed, unchanged: locked.length - changed.length - writes.removed.length },
  };
}

/** A changed movie's rows as moviec_write_aggregates takes them (src/db/aggregates.ts), with each title normalised for matching. */
function addWrites(writes: AggregateWrites, id: string, result: AggregateResult, hash: string, linksHash: string | null): void {
  // Object literals, not spreads: the same keys in the same order, without copying through a spread.
  const { fields, score } = result;
  writes.movies.push({
    id,
    hash,
    title: fields.title,
    originalTitle: fields.originalTitle,
    year: fields.year,
    releaseDate: fields.releaseDate,
    runtimeMinutes: fields.runtimeMinutes,
    overview: fields.overview,
    posterUrl: fields.posterUrl,
    isAdult: fields.isAdult,
    imdbId: fields.imdbId,
    provenance: result.provenance,
    score_value: score?.value ?? null,
    score_confidence: score?.confidence ?? null,
    score_votes: score?.votes ?? null,
    score_provider_count: score?.providerCount ?? 0,
    score_critics: score?.profiles.CRITICS ?? null,
    score_audience: score?.profiles.AUDIENCE ?? null,
    links_hash: linksHash,
  });
  for (const t of result.titles) {
    writes.titles.push({ movie_id: id, providerKey: t.providerKey, title: t.title, isOriginal: t.isOriginal, score: t.score, normalized: normalizeTitle(t.title) });
  }
  for (const r of result.ratings) {
    writes.ratings.push({
      movie_id: id, providerKey: r.providerKey, kind: r.kind, rawValue: r.rawValue, rawScale: r.rawScale, normalized: r.normalized,
      calibrated: r.calibrated, votes: r.votes, priorMean: r.priorMean, priorVotes: r.priorVotes,
    });
  }
  for (const g of result.genres) writes.genres.push({ movie_id: id, name: g.name, confidence: g.confidence });
  for (const u of result.unknownGenres) writes.unknownGenres.push(u);
}

/**
 * addWrites for the bulk rebuild: the rows moviec_write_aggregates would write, as COPY lines
 * (db/bulk-lines.ts): each title normalised for matching, a repeated (provider, title) once (the
 * first counts), each genre with its id.
 */
function addLines(
  copy: CopyLines, writes: AggregateWrites, id: string, result: AggregateResult, hash: string, linksHash: string | null, locks: unknown,
  { genreIds, provenances }: BatchOptions,
): void {
  addMovieLine(copy, id, hash, linksHash, result.fields, result.provenance, result.score, provenances);
  const { titles } = result;
  const normalized = titles.map((t) => normalizeTitle(t.title));
  const seen = titles.length > 1 ? new Set<string>() : null;
  for (let i = 0; i < titles.length; i++) {
    const t = titles[i]!;
    if (seen) {
      const key = titleKey(t.providerKey, t.title);
      if (seen.has(key)) continue;
      seen.add(key);
    }
    addTitleLine(copy, id, t, normalized[i]!);
  }
  for (const r of result.ratings) addRatingLine(copy, id, r);
  for (const g of result.genres) {
    const genreId = genreIds?.get(g.name);
    if (genreId === undefined) copy.unplacedGenres.push({ movie_id: id, name: g.name, confidence: g.confidence });
    else addGenreLine(copy, id, genreId, g);
  }
  for (const u of result.unknownGenres) writes.unknownGenres.push(u);
  // Its search row's inputs: the bulk rebuild may build the row in Node (db/search-lines.ts).
  addSearchInputs(copy, id, { fields: result.fields, score: result.score, titles: result.titles, normalized, genres: result.genres }, locks);
}

export interface AggregateAllOptions {
  /** Movies per transaction (per written chunk in the bulk path). */
  chunk?: number;
  /** Chunks in flight at once, each on its own connection (not in the bulk path). */
  parallel?: number;
  /** After each chunk (in the bulk path: written, not yet committed). Throwing ends the rebuild; the bulk path then rolls back whole. */
  onChunk?: (outcome: AggregateOutcome, ids: string[]) => Promise<void> | void;
  /**
   * The bulk path (db/aggregate-bulk.ts: one transaction, indexes built after the rows, COPY):
   * 'auto' (the default) when at least BULK_MIN_FRESH movies, and at least half of all, were never
   * aggregated, such as after a first import; true whenever its locks are granted; false never.
   */
  bulk?: boolean | 'auto';
  /** How long the bulk path waits for its table locks before taking the chunked path instead. */
  bulkLockTimeoutMs?: number;
  /**
   * The bulk path fits the scoring priors from the ratings it is about to write, in its
   * transaction, and scores with that fit (scoring/rebuild-fit.ts; the reason recorded with an
   * adopted fit). Absent: it scores with the current fit.
   */
  fit?: string;
  /** The bulk path's fit, when `fit` asked for one and the bulk path was taken. */
  onFit?: (fit: RefitOutcome) => void;
}

/** Never-aggregated movies from which `aggregateAll` takes the bulk path (and half of the catalogue). */
export const BULK_MIN_FRESH = 10_000;

const FIRST_ID = '00000000-0000-0000-0000-000000000000';

/**
 * `moviec aggregate --all`: every movie. A catalogue mostly never aggregated (a first import) is
 * rebuilt in bulk, in one transaction (aggregateAllBulk); otherwise `chunk` ids per transaction
 * with `parallel` chunks in flight on their own connections. Chunks are disjoint and each locks its
 * movies in id order, so they neither interleave with nor deadlock against other aggregations.
 */
export async function aggregateAll(pool: pg.Pool, options: AggregateAllOptions = {}): Promise<{ movies: number; changed: number; removed: number }> {
  const wanted = options.bulk ?? 'auto';
  if (wanted === true || (wanted === 'auto' && bulkPays(await countFreshMovies(pool)))) {
    const bulk = await beginBulkAggregation(pool, { lockTimeoutMs: options.bulkLockTimeoutMs, beforePriors: fitting(options.fit, options.onFit) });
    if (bulk) {
      const { movies, changed, removed } = await aggregateAllBulk(bulk, options);
      return { movies, changed, removed };
    }
  }
  const totals = { movies: 0, changed: 0, removed: 0 };
  const inFlight = new Set<Promise<void>>();
  const failed: { error?: Error } = {};
  for await (const ids of allMovieIds(pool, options.chunk ?? 5000)) {
    if (failed.error) break;
    const task: Promise<void> = aggregateMovies(pool, ids)
      .then(async (outcome) => {
        totals.movies += ids.length;
        totals.changed += outcome.changed.length;
        totals.removed += outcome.removed.length;
        await options.onChunk?.(outcome, ids);
      })
      .catch((error: unknown) => {
        failed.error ??= error instanceof Error ? error : new Error(String(error));
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
    if (inFlight.size >= (options.parallel ?? 2)) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failed.error) throw failed.error;
  return totals;
}

function bulkPays({ fresh, total }: { fresh: number; total: number }, minFresh = BULK_MIN_FRESH): boolean {
  return fresh >= minFresh && fresh * 2 >= total;
}

/**
 * For the aggregation jobs of a first import (services/aggregation.ts): when the bulk path pays
 * (and most of `among`, the job's own movies, were never aggregated), rebuilds every movie in bulk and takes the queued jobs of `takeQueued` with it (deleted in its
 * transaction). Null when it does not pay or its locks are not granted: nothing was done.
 */
export async function aggregateAllInBulk(
  pool: pg.Pool,
  options: {
    takeQueued: readonly string[]; minFresh?: number; lockTimeoutMs?: number; among?: string[]; fit?: string;
    /** After each chunk is written (not yet committed). */
    onChunk?: () => void;
  },
): Promise<{ movies: number; changed: number; removed: number; created: number; fit?: RefitOutcome } | null> {
  // Movies of a job that were aggregated before (a refit's re-aggregation, a re-import): no first
  // aggregation, and no scan of every movie to find out.
  if (options.among && (await countFreshAmong(pool, options.among)) * 2 < options.among.length) return null;
  if (!bulkPays(await countFreshMovies(pool), options.minFresh)) return null;
  let fit: RefitOutcome | undefined;
  const bulk = await beginBulkAggregation(pool, {
    lockTimeoutMs: options.lockTimeoutMs, takeQueued: options.takeQueued, beforePriors: fitting(options.fit, (f) => (fit = f)),
  });
  return bulk ? { ...(await aggregateAllBulk(bulk, { onChunk: options.onChunk })), ...(fit ? { fit } : {}) } : null;
}

/** The bulk transaction's fit step (scoring/rebuild-fit.ts), when a reason asks for one. */
function fitting(reason: string | undefined, onFit?: (fit: RefitOutcome) => void): ((client: pg.PoolClient) => Promise<void>) | undefined {
  if (reason === undefined) return undefined;
  return async (client) => {
    const fit = await fitBeforeRebuild(client, reason);
    onFit?.(fit);
  };
}

/**
 * The bulk rebuild's loop: Node computes chunk k while PostgreSQL writes chunk k-1 (and reads
 * chunk k+1's records on a second connection); chunk k's write is sent as soon as it is computed,
 * queued behind k-1's. Every movie is computed as aggregateMovies computes it (computeBatch); only
 * the write differs.
 */
async function aggregateAllBulk(
  bulk: BulkAggregation,
  options: AggregateAllOptions,
): Promise<{ movies: number; changed: number; removed: number; created: number }> {
  const chunk = options.chunk ?? 5000;
  const totals = { movies: 0, changed: 0, removed: 0, created: 0 };
  // Writes sent and not yet settled, oldest first.
  const queued: { write: Promise<void>; outcome: AggregateOutcome; ids: string[] }[] = [];
  const settle = async () => {
    const oldest = queued.shift();
    if (!oldest) return;
    await oldest.write;
    totals.movies += oldest.ids.length;
    totals.changed += oldest.outcome.changed.length;
    totals.removed += oldest.outcome.removed.length;
    totals.created += oldest.outcome.created.length;
    await options.onChunk?.(oldest.outcome, oldest.ids);
  };
  try {
    let read = await bulk.read(FIRST_ID, chunk);
    while (read.locked.length) {
      const { locked, records } = read;
      const { writes, result } = await computeBatchYielding(locked, records, bulk.priors, {
        events: bulk.webhooks, copy: true, genreIds: bulk.genreIds, provenances: bulk.provenances,
      });
      // The next chunk was read ahead (and reading it reads the one after meanwhile). This write
      // queues behind the previous one, so PostgreSQL goes from one write to the next while Node
      // computes; at most two wait: the previous one settles before the next computation.
      const next = bulk.read(locked[locked.length - 1]!.id, chunk);
      next.catch(() => undefined); // awaited below, or abandoned with the transaction
      const write = bulk.write(writes, new Set(result.created));
      write.catch(() => undefined); // awaited by settle
      queued.push({ write, outcome: result, ids: locked.map((m) => m.id) });
      if (queued.length > 1) await settle();
      read = await next;
    }
    while (queued.length) await settle();
    await bulk.commit();
    return totals;
  } catch (error) {
    for (const { write } of queued) await write.catch(() => undefined);
    await bulk.rollback().catch(() => undefined);
    throw error;
  }
}

export { allMovieIds };
