import type pg from 'pg';

/** Piecewise-linear calibration points (src/scoring/calibration.ts Calibration), as stored. */
export type Calibration = [from: number, to: number][];

/**
 * The scoring fit: per provider and rating kind, the prior (C, m) and the calibration onto the
 * common scale, versioned in scoring_fits (one row per adopted fit). SQL only; the fit itself is
 * computed in src/scoring/priors.ts.
 */

export interface PriorRow {
  provider_key: string;
  kind: string;
  prior_mean: number;
  prior_votes: number;
  calibration: Calibration;
}

export interface FittedPrior extends PriorRow {
  sample_size: number;
  overlap_size: number;
}

/** Read inside aggregation's first round trip (a multi-statement simple query), so a constant. */
export const PRIORS_SQL = 'SELECT provider_key, kind, prior_mean, prior_votes, calibration FROM scoring_priors';

export async function readPriors(db: pg.Pool | pg.PoolClient): Promise<PriorRow[]> {
  return (await db.query<PriorRow>(PRIORS_SQL)).rows;
}

/** What a fit is computed from, per provider and rating kind (linear 0-100 values, never calibrated). */
export interface PriorStats {
  provider_key: string;
  kind: string;
  sample_size: number;
  /** Films this kind shares with the anchor (for the anchor itself: films another provider also rates). */
  overlap_size: number;
  mean_linear: number;
  median_votes: number | null;
  /** The anchor: the rating kind that rates the most films; its scale is the common scale. */
  is_anchor: boolean;
  /** Quantiles of this kind, and of the anchor, on the films both rate (null for the anchor). */
  provider_q: number[] | null;
  reference_q: number[] | null;
}

export interface ScaleRow {
  provider_key: string;
  kind: string;
  min: number;
  max: number;
}

/** The ratings a bulk rebuild will write (a temporary table, dropped at its commit: db/rebuild-ratings.ts). */
export const REBUILD_RATINGS = 'moviec_rebuild_ratings';

/**
 * Where a fit's ratings come from: the curated ratings, or those a bulk rebuild is about to write
 * (REBUILD_RATINGS, filled by stageRebuildRatings in the rebuild's transaction). Same columns.
 */
export type RatingsSource = 'ratings' | typeof REBUILD_RATINGS;

/**
 * One set-based statement over the curated ratings, raw values mapped linearly with each scale.
 * Each kind is compared with the anchor on the films both rate (matched films, so the quantiles
 * compare like with like). Nothing depends on the rows' order (the mean is summed exactly), so
 * the same ratings give the same statistics from either source.
 */
export async function readPriorStats(
  db: pg.Pool | pg.PoolClient, scales: ScaleRow[], quantiles: number[], source: RatingsSource = 'ratings',
): Promise<PriorStats[]> {
  const from = source === REBUILD_RATINGS ? REBUILD_RATINGS : 'ratings';
  const { rows } = await db.query<PriorStats>(
    `WITH scale AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS s(provider_key text, kind text, min float8, max float8)
     ), linear AS (
       SELECT r.movie_id, r.provider_key, r.kind, r.votes,
              least(100, greatest(0, (r.raw_value - s.min) / (s.max - s.min) * 100)) AS value
         FROM ${from} r JOIN scale s USING (provider_key, kind)
     ), anchor AS (
       SELECT provider_key, kind FROM linear GROUP BY provider_key, kind ORDER BY count(*) DESC, provider_key, kind LIMIT 1
     ), anchored AS (
       SELECT l.movie_id, l.value FROM linear l JOIN anchor USING (provider_key, kind)
     ), shared AS (
       SELECT movie_id FROM linear GROUP BY movie_id HAVING count(DISTINCT provider_key) >= 2
     )
     SELECT l.provider_key, l.kind, count(*)::int AS sample_size,
            CASE WHEN bool_or(an.provider_key IS NOT NULL)
                 THEN count(*) FILTER (WHERE l.movie_id IN (SELECT movie_id FROM shared))
                 ELSE count(x.value) END::int AS overlap_size,
            avg(l.value::numeric)::float8 AS mean_linear,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY l.votes) AS median_votes,
            bool_or(an.provider_key IS NOT NULL) AS is_anchor,
            percentile_cont($2::float8[]) WITHIN GROUP (ORDER BY l.value) FILTER (WHERE x.value IS NOT NULL) AS provider_q,
            percentile_cont($2::float8[]) WITHIN GROUP (ORDER BY x.value) FILTER (WHERE x.value IS NOT NULL) AS reference_q
       FROM linear l
       LEFT JOIN anchor an ON an.provider_key = l.provider_key AND an.kind = l.kind
       LEFT JOIN anchored x ON x.movie_id = l.movie_id AND an.provider_key IS NULL AND l.provider_key <> (SELECT provider_key FROM anchor)
      GROUP BY l.provider_key, l.kind
      ORDER BY l.provider_key, l.kind`,
    [JSON.stringify(scales), quantiles],
  );
  return rows;
}

export interface FitVersion {
  version: number;
  formula_version: string;
  created_at: Date;
}

export async function currentFit(db: pg.Pool | pg.PoolClient): Promise<FitVersion | null> {
  const { rows } = await db.query<FitVersion>(
    'SELECT version, formula_version, created_at FROM scoring_fits ORDER BY version DESC LIMIT 1',
  );
  return rows[0] ?? null;
}

/**
 * Adopts a fit as the next version: one transaction under an advisory lock (two refits cannot
 * interleave), the priors replaced as a whole. Returns the new version.
 */
export async function writeFit(pool: pg.Pool, priors: FittedPrior[], formulaVersion: string, reason: string): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const version = await writeFitInTransaction(client, priors, formulaVersion, reason);
    await client.query('COMMIT');
    return version;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * writeFit inside the caller's open transaction (a bulk rebuild adopts the fit of the ratings it
 * writes): the advisory lock is held, and the fit seen by others, from its commit on.
 */
export async function writeFitInTransaction(client: pg.PoolClient, priors: FittedPrior[], formulaVersion: string, reason: string): Promise<number> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('moviec:scoring-fit'))`);
  const { rows } = await client.query<{ version: number }>(
    `INSERT INTO scoring_fits (version, formula_version, reason)
     SELECT coalesce(max(version), 0) + 1, $1, $2 FROM scoring_fits RETURNING version`,
    [formulaVersion, reason],
  );
  const version = rows[0]!.version;
  await client.query('DELETE FROM scoring_priors');
  await client.query(
    `INSERT INTO scoring_priors (provider_key, kind, prior_mean, prior_votes, calibration, sample_size, overlap_size, version, updated_at)
     SELECT x.provider_key, x.kind, x.prior_mean, x.prior_votes, x.calibration, x.sample_size, x.overlap_size, $2, now()
       FROM jsonb_to_recordset($1::jsonb) AS x(provider_key text, kind text, prior_mean float8, prior_votes float8,
                                               calibration jsonb, sample_size int, overlap_size int)`,
    [JSON.stringify(priors), version],
  );
  return version;
}
