import type pg from 'pg';
import { printTable } from './table.js';

/** Prints recent import runs, the job queue, failing jobs and the match report as plain tables. */
export async function printStatus(pool: pg.Pool): Promise<void> {
  const runs = await pool.query(
    `SELECT id, provider_key AS provider, trigger, status, rows_read AS read, rows_changed AS changed,
            rows_rejected AS rejected, to_char(started_at, 'YYYY-MM-DD HH24:MI:SS') AS started,
            to_char(finished_at, 'YYYY-MM-DD HH24:MI:SS') AS finished, coalesce(error, '') AS error
       FROM import_runs ORDER BY id DESC LIMIT 10`,
  );
  printTable('Recent import runs', runs.rows, 'no import has run yet');

  const queue = await pool.query(
    `SELECT task_identifier AS task, count(*)::int AS queued,
            count(*) FILTER (WHERE locked_at IS NOT NULL)::int AS running,
            count(*) FILTER (WHERE attempts >= max_attempts)::int AS failed
       FROM graphile_worker.jobs GROUP BY task_identifier ORDER BY 1`,
  );
  printTable('Job queue', queue.rows, 'empty');
  await printFailingJobs(pool);

  const report = await pool.query(
    `SELECT provider_key AS provider, count(*)::int AS total,
            count(*) FILTER (WHERE movie_id IS NOT NULL)::int AS matched,
            count(*) FILTER (WHERE movie_id IS NULL)::int AS unmatched,
            round(100.0 * count(*) FILTER (WHERE movie_id IS NULL) / count(*), 2)::float AS "unmatched %"
       FROM provider_records GROUP BY provider_key ORDER BY 1`,
  );
  printTable('Match report', report.rows, 'no provider records yet');
  await printUnknownGenres(pool);
}

/** Prints rows that wait for a movie (UNMATCHED or AMBIGUOUS) with the reason. */
export async function printUnmatched(pool: pg.Pool, provider: string | undefined, limit: number): Promise<void> {
  const { rows } = await pool.query(
    `SELECT provider_key AS provider, external_id AS id, title, year, match_status AS status, match_reason AS reason
       FROM provider_records
      WHERE match_status IN ('UNMATCHED', 'AMBIGUOUS') AND ($1::text IS NULL OR provider_key = $1)
      ORDER BY provider_key, external_id LIMIT $2`,
    [provider ?? null, limit],
  );
  if (rows.length) printTable(`Rows without a movie (at most ${limit})`, rows, '', { maxCellWidth: 100 });
  else console.log('Every row is matched to a movie.');
}

/** Prints the rejected rows of one import run. */
export async function printRunErrors(pool: pg.Pool, runId: string, limit: number): Promise<void> {
  const { rows } = await pool.query(
    `SELECT line, reference, reason, excerpt FROM import_errors WHERE run_id = $1 ORDER BY line NULLS LAST, id LIMIT $2`,
    [runId, limit],
  );
  if (rows.length) printTable(`Rejected rows of run ${runId} (at most ${limit})`, rows, '', { maxCellWidth: 100 });
  else console.log(`Run ${runId} rejected no rows.`);
}

/** Prints provider genre spellings no alias maps to a canonical genre. */
export async function printUnknownGenres(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query(
    `SELECT provider_key AS provider, alias AS spelling, to_char(created_at, 'YYYY-MM-DD') AS "first seen"
       FROM genre_aliases WHERE genre_id IS NULL ORDER BY provider_key, alias`,
  );
  if (rows.length) printTable('Genre spellings without a canonical genre (kept on the records)', rows);
  else console.log('Every genre spelling is known.');
}

/** Prints jobs whose last attempt failed: retrying ones with their next attempt, and those that gave up. */
export async function printFailingJobs(pool: pg.Pool, limit = 20): Promise<void> {
  const { rows } = await pool.query(
    `SELECT id, task_identifier AS task, attempts || '/' || max_attempts AS attempts,
            CASE WHEN attempts >= max_attempts THEN 'gave up' ELSE to_char(run_at, 'YYYY-MM-DD HH24:MI:SS') END AS "next attempt",
            coalesce(key, '') AS key, split_part(last_error, chr(10), 1) AS "last error"
       FROM graphile_worker.jobs WHERE last_error IS NOT NULL ORDER BY updated_at DESC LIMIT $1`,
    [limit],
  );
  printTable('Failing jobs', rows, 'none');
}
