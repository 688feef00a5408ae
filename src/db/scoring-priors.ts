import type pg from 'pg';

/** scoring_priors: per provider and rating kind, the Bayesian prior and the calibration onto the common scale. */

export interface PriorRow {
  provider_key: string;
  kind: string;
  prior_mean: number;
  prior_votes: number;
  /** Piecewise-linear quantile map [[linear, calibrated], ...]; empty = identity. */
  calibration: [number, number][];
}

/** Also read inside the aggregation transaction (aggregates.ts). */
export const PRIORS_SQL = 'SELECT provider_key, kind, prior_mean, prior_votes, calibration FROM scoring_priors';

export async function readPriors(db: pg.Pool | pg.PoolClient): Promise<PriorRow[]> {
  return (await db.query<PriorRow>(PRIORS_SQL)).rows;
}

export interface PriorStatistics {
  provider_key: string; kind: string; sample_size: number; overlap_size: number; mean_linear: number;
  median_votes: number | null; provider_q: number[] | null; reference_q: number[] | null;
}

/**
 * Per provider and kind, from the curated ratings set-based: quantiles with percentile_cont over
 * the linear 0-100 values (recomputed from raw values with `scales`, so a previous calibration does
 * not feed back), overall and on films that at least two providers rate; the mean; the median votes.
 */
export async function priorStatistics(
  pool: pg.Pool,
  scales: { provider_key: string; kind: string; min: number; max: number }[],
  quantiles: number[],
): Promise<PriorStatistics[]> {
  const { rows } = await pool.query<PriorStatistics>(
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
    [JSON.stringify(scales), quantiles],
  );
  return rows;
}

export async function savePriors(
  pool: pg.Pool,
  priors: (PriorRow & { sample_size: number; overlap_size: number })[],
): Promise<void> {
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
}
