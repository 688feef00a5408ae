import type pg from 'pg';
import { addRebuildRatings, mixedRebuildRecords, REBUILD_RATINGS, stageRebuildRatings } from '../db/rebuild-ratings.js';
import { findProvider, providerDefinitions } from '../sources/registry.js';
import { computeAggregate, groupByMovie, type DefinitionLookup } from './compute.js';
import { refitPriorsInTransaction, type RefitOutcome } from './priors.js';

/**
 * The scoring fit of a bulk rebuild (issue 18 point 3). A first import's movies were scored by
 * nothing yet; the refit the import queues fits the priors from the ratings the rebuild wrote,
 * adopts that fit (it differs from the empty one) and re-aggregates every scored movie: the real
 * dump's ~370k scored movies a second time. Instead the rebuild fits first, in its own transaction,
 * from the ratings it is about to write (the same statistics, fit and decision as refitPriors), and
 * scores every movie once with that fit; the refit after it then finds the fit current.
 *
 * Every movie is rebuilt in that transaction, and nothing else writes the catalogue meanwhile (the
 * rebuild holds its tables), so the ratings staged here are exactly those the rebuild writes and
 * the refit later reads.
 */

const lookup: DefinitionLookup = (key) => findProvider(key)?.definition;
const FIRST_ID = '00000000-0000-0000-0000-000000000000';
/** Movies whose records Node reads at a time (movies where a provider has several records: few). */
const MIXED_CHUNK = 2000;

export async function fitBeforeRebuild(client: pg.PoolClient, reason: string): Promise<RefitOutcome> {
  if ((await stageRebuildRatings(client)) > 0) {
    // Which of a provider's records counts is aggregation's decision (compute.ts): computed as it computes it.
    for (let after = FIRST_ID; ;) {
      const { ids, records } = await mixedRebuildRecords(client, after, MIXED_CHUNK);
      if (!ids.length) break;
      const rows = [...groupByMovie(records)].flatMap(([movieId, movieRecords]) =>
        (computeAggregate(movieRecords, lookup)?.ratings ?? []).map((r) => ({
          movie_id: movieId, provider_key: r.providerKey, kind: r.kind, raw_value: r.rawValue, votes: r.votes,
        })));
      await addRebuildRatings(client, rows);
      after = ids[ids.length - 1]!;
    }
  }
  return refitPriorsInTransaction(client, providerDefinitions(), reason, REBUILD_RATINGS);
}
