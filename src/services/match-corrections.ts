import type pg from 'pg';
import { BadInputError, NotFoundError } from '../errors.js';
import { lockRecord, markRecordsChanged, pinRecord, rejectRecord } from '../db/match-corrections.js';
import { movieExists } from '../db/movies.js';
import { withTransaction } from '../db/pool.js';
import { matchChangedRecords } from '../matching/match-changed.js';
import { aggregateAndInvalidate } from './aggregation.js';

/**
 * Admins' corrections of matches. Each is stored by provider and external id (so it survives
 * reimports), applied by matching at once in the same transaction, and then both movies the record
 * moved between are re-aggregated and dropped from the cache.
 *
 * - confirmMatch: the record stays on its movie for good (method MANUAL).
 * - rejectMatch: the record leaves its movie and never returns to it, by id or title; it is matched
 *   again without that movie (a provider with ids may get a new movie of its own).
 * - relinkRecord: the record moves to the movie named, for good (method MANUAL).
 */

export interface MatchCorrectionDependencies {
  pool: pg.Pool;
  cache: { invalidateMovies(movieIds: readonly string[]): Promise<void> };
}

export interface CorrectionOutcome {
  /** The record's movie after the correction (null: it waits unmatched). */
  movieId: string | null;
  /** Every movie re-aggregated. */
  affected: string[];
}

export async function confirmMatch(deps: MatchCorrectionDependencies, providerKey: string, externalId: string): Promise<CorrectionOutcome> {
  return correct(deps, providerKey, externalId, async (client, record) => {
    if (!record.movieId) throw new BadInputError(`${providerKey} record ${externalId} is not matched to a movie: relink it instead`);
    await pinRecord(client, providerKey, externalId, record.movieId, 'CONFIRM');
  });
}

export async function rejectMatch(deps: MatchCorrectionDependencies, providerKey: string, externalId: string): Promise<CorrectionOutcome> {
  return correct(deps, providerKey, externalId, async (client, record) => {
    if (!record.movieId) throw new BadInputError(`${providerKey} record ${externalId} is not matched to a movie: nothing to reject`);
    await rejectRecord(client, providerKey, externalId, record.movieId);
  });
}

export async function relinkRecord(
  deps: MatchCorrectionDependencies,
  providerKey: string,
  externalId: string,
  movieId: string,
): Promise<CorrectionOutcome> {
  return correct(deps, providerKey, externalId, async (client) => {
    if (!(await movieExists(client, movieId, { lock: true }))) throw new NotFoundError(`No movie with id ${movieId}`);
    await pinRecord(client, providerKey, externalId, movieId, 'RELINK');
  });
}

async function correct(
  { pool, cache }: MatchCorrectionDependencies,
  providerKey: string,
  externalId: string,
  store: (client: pg.PoolClient, record: { id: string; movieId: string | null }) => Promise<void>,
): Promise<CorrectionOutcome> {
  const { movieId, affected } = await withTransaction(pool, async (client) => {
    const record = await lockRecord(client, providerKey, externalId);
    if (!record) throw new NotFoundError(`No ${providerKey} record with id ${externalId}`);
    await store(client, record);
    const touched = await matchChangedRecords(await markRecordsChanged(client, [record.id]));
    const now = await lockRecord(client, providerKey, externalId);
    return { movieId: now?.movieId ?? null, affected: [...new Set([...touched, ...(record.movieId ? [record.movieId] : [])])] };
  });
  await aggregateAndInvalidate({ pool, invalidate: (ids) => (ids === 'all' ? undefined : cache.invalidateMovies(ids)) }, affected, { alsoInvalidate: affected });
  return { movieId, affected };
}
