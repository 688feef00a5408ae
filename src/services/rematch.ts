import type pg from 'pg';
import { withTransaction } from '../db/pool.js';
import {
  lockMatchingRulesVersion, markTitleMatchesChanged, movedRecords, saveMatchingRulesVersion, type MovedRecord,
} from '../db/rematch.js';
import type { Logger } from '../logger.js';
import { matchChanges } from '../matching/match-changed.js';
import { MATCHING_RULES_VERSION } from '../matching/title-match.js';
import { aggregateAndInvalidate } from './aggregation.js';

/**
 * `moviec rematch`: every title match, unmatched and ambiguous record (of one provider, or all)
 * decided again under the current matching rules; id links and admin corrections are kept. The
 * movies records moved between are re-aggregated. Start-up runs it once after an upgrade that
 * changes the rules (MATCHING_RULES_VERSION).
 */

export interface RematchResult {
  examined: number;
  moved: MovedRecord[];
  /** Movies re-aggregated (both ends of every move). */
  reaggregated: number;
}

export interface RematchOptions {
  providerKey?: string | null;
  /** Told which movies changed, e.g. to invalidate caches. */
  onMoviesChanged?: (movieIds: string[]) => Promise<void>;
}

const AGGREGATE_CHUNK = 2000;

export async function rematch(pool: pg.Pool, options: RematchOptions = {}): Promise<RematchResult> {
  const { examined, moved } = await withTransaction(pool, (client) => rematchIn(client, options.providerKey ?? null));
  return { examined, moved, reaggregated: await reaggregate(pool, moved, options.onMoviesChanged) };
}

/** Rematches everything once if the catalogue was matched under other rules; null when it was not needed. */
export async function rematchIfRulesChanged(pool: pg.Pool, options: RematchOptions & { logger?: Logger } = {}): Promise<RematchResult | null> {
  const outcome = await withTransaction(pool, async (client) => {
    const version = await lockMatchingRulesVersion(client);
    if (version === MATCHING_RULES_VERSION) return null;
    const result = await rematchIn(client, null);
    await saveMatchingRulesVersion(client, MATCHING_RULES_VERSION);
    options.logger?.info({ from: version, to: MATCHING_RULES_VERSION, examined: result.examined, moved: result.moved.length }, 'matching rules changed: title matches re-evaluated');
    return result;
  });
  if (!outcome) return null;
  return { ...outcome, reaggregated: await reaggregate(pool, outcome.moved, options.onMoviesChanged) };
}

async function rematchIn(client: pg.PoolClient, providerKey: string | null): Promise<{ examined: number; moved: MovedRecord[] }> {
  const changes = await markTitleMatchesChanged(client, providerKey);
  if (changes.count) await matchChanges(changes);
  return { examined: changes.count, moved: changes.count ? await movedRecords(changes) : [] };
}

async function reaggregate(pool: pg.Pool, moved: MovedRecord[], onMoviesChanged?: (ids: string[]) => Promise<void>): Promise<number> {
  const ids = [...new Set(moved.flatMap((m) => [m.fromMovieId, m.toMovieId]).filter((id): id is string => !!id))];
  for (let i = 0; i < ids.length; i += AGGREGATE_CHUNK) {
    const chunk = ids.slice(i, i + AGGREGATE_CHUNK);
    const invalidate = onMoviesChanged && ((movieIds: string[] | 'all') => (movieIds === 'all' ? undefined : onMoviesChanged(movieIds)));
    await aggregateAndInvalidate({ pool, invalidate }, chunk, { alsoInvalidate: chunk });
  }
  return ids.length;
}
