import type pg from 'pg';
import { AGGREGATION_JOBS, IMPORT_FOLLOW_UP_JOBS, JOB, jobKey } from '../jobs.js';

/**
 * The job queue (Graphile Worker's public SQL API: add_job, add_jobs): every job MovieC queues is
 * added here (and aggregation of an import's changes in record-changes.ts), inside the caller's
 * transaction when one is passed, so a job commits with the change that caused it.
 */

/**
 * Above this many movies, aggregation is queued in chunks instead of one job per movie: a chunk job
 * aggregates its movies in one transaction of two round trips (about as fast per movie as a no-op
 * job), where a job per movie pays the queue and a transaction each. Small change sets keep one job
 * per movie, keyed so that bursts of changes to one movie collapse.
 */
export const PER_MOVIE_JOB_LIMIT = 50;
export const AGGREGATE_CHUNK = 500;

/** How long after an import's last change the scoring refit waits (a debounce). */
export const REFIT_DELAY_SECONDS = 5;

/**
 * Queues aggregation for movies, in the caller's transaction so it commits with the change that
 * caused it. One `aggregate-movie` job per movie, keyed `aggregate:<movieId>` so bursts of changes
 * to one movie collapse into one job; a large import queues chunks of ids instead.
 */
export async function enqueueAggregation(db: pg.Pool | pg.PoolClient, movieIds: string[]): Promise<void> {
  if (movieIds.length === 0) return;
  if (movieIds.length <= PER_MOVIE_JOB_LIMIT) {
    await db.query(
      `SELECT 1 FROM graphile_worker.add_jobs(ARRAY(
         SELECT ROW($2::text, json_build_object('movieId', id), NULL, NULL, NULL, $3::text || id, NULL, NULL)::graphile_worker.job_spec
           FROM unnest($1::uuid[]) AS id))`,
      [movieIds, JOB.aggregateMovie, jobKey.aggregateMovie('')],
    );
    return;
  }
  const chunks: string[][] = [];
  for (let i = 0; i < movieIds.length; i += AGGREGATE_CHUNK) chunks.push(movieIds.slice(i, i + AGGREGATE_CHUNK));
  await db.query(
    `SELECT 1 FROM graphile_worker.add_jobs(ARRAY(
       SELECT ROW($2::text, json_build_object('movieIds', ids), NULL, NULL, NULL, NULL, NULL, NULL)::graphile_worker.job_spec
         FROM jsonb_array_elements($1::jsonb) AS ids))`,
    [JSON.stringify(chunks), JOB.aggregateMovies],
  );
}

/**
 * Queues the aggregation of every movie never aggregated (aggregate_hash NULL), in id order, in
 * `aggregate-movies` chunks of AGGREGATE_CHUNK: what a first load queued before its own
 * `aggregate-first-load` job (when that job does not rebuild the catalogue in bulk). Returns how
 * many movies were queued.
 */
export async function enqueueNeverAggregated(db: pg.Pool | pg.PoolClient): Promise<number> {
  return enqueueAggregationChunks(db, 'SELECT id AS movie_id FROM movies WHERE aggregate_hash IS NULL');
}

/**
 * Queues `aggregate-movies` jobs for the movies of `movieIds` (a query of one column, movie_id,
 * written in this data layer), set-based in one statement: chunks of AGGREGATE_CHUNK consecutive
 * ids, in id order. Returns how many movies were queued.
 */
export async function enqueueAggregationChunks(db: pg.Pool | pg.PoolClient, movieIds: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `WITH numbered AS (
       SELECT movie_id, (row_number() OVER (ORDER BY movie_id) - 1) / $2 AS chunk FROM (${movieIds}) ids
     ), queued AS (
       SELECT 1 FROM graphile_worker.add_jobs(ARRAY(
         SELECT ROW($1::text, json_build_object('movieIds', json_agg(movie_id ORDER BY movie_id)), NULL, NULL, NULL, NULL, NULL, NULL)::graphile_worker.job_spec
           FROM numbered GROUP BY chunk ORDER BY chunk)) WHERE EXISTS (SELECT 1 FROM numbered)
     )
     SELECT (SELECT count(*)::int FROM numbered) AS n, (SELECT count(*) FROM queued) AS jobs`,
    [JOB.aggregateMovies, AGGREGATE_CHUNK],
  );
  return rows[0]?.n ?? 0;
}

/**
 * Queues an import run for the worker. A bad input is not retried: executeImport records it as a
 * FAILED run and the job succeeds. Further attempts are for a worker that died mid-run (released
 * by src/workers/recovery.ts) or a database that went away; each starts the run over.
 */
export async function enqueueIngest(db: pg.Pool | pg.PoolClient, runId: string): Promise<void> {
  await db.query(
    `SELECT graphile_worker.add_job($1, json_build_object('runId', $2::text), max_attempts => 3, job_key => $3)`,
    [JOB.ingest, runId, jobKey.ingest(runId)],
  );
}

/**
 * Claims an import run's ingest job for the process that runs the import itself (`moviec import`):
 * the job is locked under `claimer`, a worker id of the `pool-…` form, so no worker takes it. The
 * claimer holds a liveness connection named after it (src/workers/recovery.ts); if it dies, recovery
 * releases the job like any dead worker's and the next worker finishes the run. Counts an attempt,
 * as a worker taking the job does. Returns the job id.
 */
export async function claimIngestJob(db: pg.Pool | pg.PoolClient, runId: string, claimer: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE graphile_worker._private_jobs SET locked_by = $2, locked_at = now(), attempts = attempts + 1
      WHERE key = $1 AND locked_at IS NULL RETURNING id::text`,
    [jobKey.ingest(runId), claimer],
  );
  if (!rows[0]) throw new Error(`the ingest job of import run ${runId} is not available to claim`);
  return rows[0].id;
}

/**
 * Takes a claimed ingest job back after an outage (the claimer's liveness connection dropped, so
 * recovery may have released it): true when it is still, or again, this claimer's; false when
 * another worker took it or it is gone.
 */
export async function reclaimIngestJob(db: pg.Pool, jobId: string, claimer: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE graphile_worker._private_jobs SET locked_by = $2, locked_at = now()
      WHERE id = $1::bigint AND (locked_by = $2 OR locked_at IS NULL)`,
    [jobId, claimer],
  );
  return (rowCount ?? 0) > 0;
}

/** Completes (removes) a claimed job once its claimer finished the work, as a worker completes its job. */
export async function completeClaimedJob(db: pg.Pool, jobId: string, claimer: string): Promise<void> {
  await db.query('DELETE FROM graphile_worker._private_jobs WHERE id = $1::bigint AND locked_by = $2', [jobId, claimer]);
}

/**
 * Queues one retry of title matching for waiting rows, a few seconds out so that a burst of new
 * movies (an import's aggregation) is matched against once; nothing when no row is waiting.
 */
export async function enqueueRematch(db: pg.Pool | pg.PoolClient, delaySeconds = 2): Promise<void> {
  await db.query(
    `SELECT graphile_worker.add_job($1, '{}'::json, run_at => now() + make_interval(secs => $2), job_key => $1)
      WHERE EXISTS (SELECT 1 FROM provider_records WHERE match_status IN ('UNMATCHED', 'AMBIGUOUS'))`,
    [JOB.rematchUnmatched, delaySeconds],
  );
}


/** Aggregation jobs (of these tasks) still to run, running ones included (permanently failed ones are not counted): the refit waits for them. */
export async function pendingAggregationJobs(db: pg.Pool | pg.PoolClient, tasks: readonly string[] = AGGREGATION_JOBS): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM graphile_worker.jobs
      WHERE task_identifier = ANY($1::text[]) AND attempts < max_attempts`,
    [tasks],
  );
  return rows[0]?.n ?? 0;
}

/** Aggregation and scoring refit jobs still to run, what `moviec import` waits for (permanently failed ones are not counted). */
export async function pendingImportFollowUpJobs(db: pg.Pool): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM graphile_worker.jobs
      WHERE task_identifier = ANY($1::text[]) AND attempts < max_attempts`,
    [IMPORT_FOLLOW_UP_JOBS],
  );
  return rows[0]?.n ?? 0;
}

/** Jobs per task and state (queued, running, failed), for the `moviec_jobs` gauge. */
export async function jobCountsByState(pool: pg.Pool): Promise<{ task: string; state: string; n: number }[]> {
  const { rows } = await pool.query<{ task: string; state: string; n: number }>(
    `SELECT task_identifier AS task,
            CASE WHEN attempts >= max_attempts OR last_error IS NOT NULL THEN 'failed'
                 WHEN locked_at IS NOT NULL THEN 'running' ELSE 'queued' END AS state,
            count(*)::int AS n
       FROM graphile_worker.jobs GROUP BY 1, 2`,
  );
  return rows;
}
