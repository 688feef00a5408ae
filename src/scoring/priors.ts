import type pg from 'pg';
import { priorStatistics, readPriors, savePriors, type PriorRow } from '../db/scoring-priors.js';
import type { ProviderDefinition } from '../sources/types.js';
import { calibrate, CALIBRATION_QUANTILES, fitCalibration, MIN_OVERLAP, type Calibration } from './calibration.js';

export interface Prior {
  /** C, on the common 0-100 scale. */
  mean: number;
  /** m, in votes. */
  votes: number;
  calibration: Calibration;
}

export type PriorLookup = (providerKey: string, kind: string) => Prior;

/** Used for a provider and kind with no data yet: about the average film, worth 50 votes. */
export const DEFAULT_PRIOR: Prior = { mean: 60, votes: 50, calibration: [] };

export async function loadPriors(db: pg.Pool | pg.PoolClient): Promise<PriorLookup> {
  return priorLookup(await readPriors(db));
}

/** The lookup for scoring_priors rows. */
export function priorLookup(rows: PriorRow[]): PriorLookup {
  const priors = new Map(rows.map((r) => [`${r.provider_key}:${r.kind}`, { mean: r.prior_mean, votes: r.prior_votes, calibration: r.calibration }]));
  return (providerKey, kind) => priors.get(`${providerKey}:${kind}`) ?? DEFAULT_PRIOR;
}

/**
 * Re-estimates every provider's prior and calibration from the curated catalogue, set-based:
 * quantiles with percentile_cont over the linear 0-100 values (recomputed from raw values, so the
 * previous calibration does not feed back), on films that at least two providers rate. C is the
 * provider's mean calibrated rating; m is the median vote count of its rated films.
 */
export async function refreshPriors(pool: pg.Pool, definitions: ProviderDefinition[]): Promise<number> {
  const scales = definitions.flatMap((d) =>
    Object.entries(d.ratingScales).map(([kind, s]) => ({ provider_key: d.key, kind, min: s.min, max: s.max })),
  );
  const rows = await priorStatistics(pool, scales, CALIBRATION_QUANTILES);
  const priors = rows.map((r) => {
    const calibration =
      r.overlap_size >= MIN_OVERLAP && r.provider_q && r.reference_q ? fitCalibration(r.provider_q, r.reference_q) : [];
    return {
      provider_key: r.provider_key,
      kind: r.kind,
      prior_mean: round(calibrate(r.mean_linear, calibration)),
      prior_votes: Math.max(1, Math.round(r.median_votes ?? DEFAULT_PRIOR.votes)),
      calibration,
      sample_size: r.sample_size,
      overlap_size: r.overlap_size,
    };
  });
  await savePriors(pool, priors);
  return priors.length;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
