import type { RatingRecord } from '../db/records.js';
import { ratingWeight, type DefinitionLookup } from '../scoring/compute.js';
import { explainScore, type ScoreExplanation, type ScoredRating } from '../scoring/explain.js';
import type { ScoreProfileName } from '../scoring/types.js';
import { findProvider } from '../sources/registry.js';

/**
 * Scores explained at read time, from the stored ratings (each keeps its calibrated value and the
 * prior it was shrunk toward), with the same function aggregation scored them with: so the
 * contributions add up to the stored value under every profile.
 */

/** A rating as the data layer stores it (db/records.ts RatingRecord): what explaining it needs. */
export type StoredRating = Pick<
  RatingRecord,
  'providerKey' | 'kind' | 'rawValue' | 'rawScale' | 'normalized' | 'calibrated' | 'priorMean' | 'priorVotes' | 'votes'
>;

const lookup: DefinitionLookup = (key) => findProvider(key)?.definition;

/** Null when a rating predates explanations (written before its movie was re-scored). */
export function explainStoredScore(ratings: StoredRating[], profile: ScoreProfileName): ScoreExplanation | null {
  const scored: ScoredRating[] = [];
  for (const r of ratings) {
    if (r.calibrated == null || r.priorMean == null || r.priorVotes == null) return null;
    scored.push({
      providerKey: r.providerKey, kind: r.kind, rawValue: r.rawValue, rawScale: r.rawScale, normalized: r.normalized,
      calibrated: r.calibrated, votes: r.votes, priorMean: r.priorMean, priorVotes: r.priorVotes,
    });
  }
  return explainScore(scored, ratingWeight(lookup), profile);
}

/** Stale: read longer ago than the provider's refresh interval (exactly the interval is still fresh). */
export function isStale(fetchedAt: string | Date | null, intervalMs: number | null, now: Date): boolean {
  if (fetchedAt === null || intervalMs === null) return false;
  return now.getTime() - new Date(fetchedAt).getTime() > intervalMs;
}
