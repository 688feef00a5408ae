import type pg from 'pg';
import { JOB } from '../jobs.js';

/**
 * Jobs of the self-refitting scoring: the debounced refit after imports, and the background
 * re-aggregation of every scored movie once a new fit is adopted (names from the job catalogue).
 */

/**
 * Queues the refit `delaySeconds` out, keyed so that a burst of imports collapses into one refit
 * (each call moves the job's time out again: a debounce). Priority 1, after aggregation jobs.
 */
export async function enqueueRefit(db: pg.Pool | pg.PoolClient, delaySeconds: number): Promise<void> {
  await db.query(
    `SELECT graphile_worker.add_job($1, '{}'::json, run_at => now() + make_interval(secs => $2), job_key => $1,
                                    job_key_mode => 'replace', priority => 1)`,
    [JOB.refitScoring, delaySeconds],
  );
}

/**
 * Every scored movie (one with ratings and the provider records they come from: a new fit moves
 * nothing else) into `aggregate-movies` jobs of `chunk` consecutive ids, in one statement.
 */
export async function enqueueAggregateScoredMovies(db: pg.Pool | pg.PoolClient, chunk: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `WITH jobs AS (
       SELECT graphile_worker.add_jobs(ARRAY(
         SELECT ROW($2::text, json_build_object('movieIds', json_agg(id ORDER BY id)), NULL, NULL, NULL, NULL, NULL, NULL)::graphile_worker.job_spec
           FROM (SELECT m.id, (row_number() OVER (ORDER BY m.id) - 1) / $1 AS chunk FROM movies m
                  WHERE EXISTS (SELECT 1 FROM ratings r WHERE r.movie_id = m.id)
                    AND EXISTS (SELECT 1 FROM provider_records pr WHERE pr.movie_id = m.id)) numbered
          GROUP BY chunk ORDER BY chunk)) AS job
     )
     SELECT count(*)::int AS n FROM jobs`,
    [chunk, JOB.aggregateMovies],
  );
  return rows[0]?.n ?? 0;
}

/** Whether the catalogue has ratings that no fit of this formula version has seen yet. */
export async function needsRefitForFormula(db: pg.Pool | pg.PoolClient, formulaVersion: string): Promise<boolean> {
  const { rows } = await db.query<{ needed: boolean }>(
    `SELECT NOT EXISTS (SELECT 1 FROM scoring_fits WHERE formula_version = $1) AND EXISTS (SELECT 1 FROM ratings) AS needed`,
    [formulaVersion],
  );
  return rows[0]?.needed ?? false;
}
