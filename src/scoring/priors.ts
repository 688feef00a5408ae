import type pg from 'pg';
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
  const { rows } = await db.query<PriorRow>(PRIORS_SQL);
  return priorLookup(rows);
}

export interface PriorRow { provider_key: string; kind: string; prior_mean: number; prior_votes: number; calibration: Calibration }
export const PRIORS_SQL = 'SELECT provider_key, kind, prior_mean, prior_votes, calibration FROM scoring_priors';

/** The lookup for rows read with PRIORS_SQL. */
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
  const { rows } = await pool.query<{
    provider_key: string; kind: string; sample_size: number; overlap_size: number; mean_linear: number;
    median_votes: number | null; provider_q: number[] | null; reference_q: number[] | null;
  }>(
    `WITH scale AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS s(provider_key text, kind text, min float8, max float8)
     ), linear AS (
       SELECT r.movie_id, r.provider_key, r.kind, r.votes,
              least(100, greatest(0, (r.raw_value - s.min) / (s.max - s.min) * 100)) AS value
         FROM ratings r JOIN scale s USING (provider_key, kind)
     ), shared AS (
       SELECT movie_id FROM linear GROUP BY movie_id HAVING count(DISTINCT provider_key) >= 2
     ), reference AS (
       SELECT percentile_cont($2::float8[]) WITHIN GROUP (ORDER BY value) AS q
         FROM linear WHERE movie_id IN (SELECT movie_id FROM shared)
     )
     SELECT l.provider_key, l.kind, count(*)::int AS sample_size,
            count(*) FILTER (WHERE l.movie_id IN (SELECT movie_id FROM shared))::int AS overlap_size,
            avg(l.value) AS mean_linear,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY l.votes) AS median_votes,
            percentile_cont($2::float8[]) WITHIN GROUP (ORDER BY l.value)
              FILTER (WHERE l.movie_id IN (SELECT movie_id FROM shared)) AS provider_q,
            (SELECT q FROM reference) AS reference_q
       FROM linear l GROUP BY l.provider_key, l.kind`,
    [JSON.stringify(scales), CALIBRATION_QUANTILES],
  );
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
  await pool.query(
    `INSERT INTO scoring_priors (provider_key, kind, prior_mean, prior_votes, calibration, sample_size, overlap_size, updated_at)
     SELECT x.provider_key, x.kind, x.prior_mean, x.prior_votes, x.calibration, x.sample_size, x.overlap_size, now()
       FROM jsonb_to_recordset($1::jsonb) AS x(provider_key text, kind text, prior_mean float8, prior_votes float8,
                                               calibration jsonb, sample_size int, overlap_size int)
     ON CONFLICT (provider_key, kind) DO UPDATE SET prior_mean = excluded.prior_mean, prior_votes = excluded.prior_votes,
       calibration = excluded.calibration, sample_size = excluded.sample_size, overlap_size = excluded.overlap_size,
       updated_at = now()`,
    [JSON.stringify(priors)],
  );
  return priors.length;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
