import type pg from 'pg';

/**
 * The operator's status report (`moviec status`, src/cli/status.ts prints it): rows ready to be
 * printed as tables, column names as the tables show them.
 */

export type StatusRow = Record<string, unknown>;

export async function recentRuns(pool: pg.Pool): Promise<StatusRow[]> {
  return (await pool.query<StatusRow>(
    `SELECT id, provider_key AS provider, trigger, status, rows_read AS read, rows_changed AS changed,
            rows_rejected AS rejected, to_char(started_at, 'YYYY-MM-DD HH24:MI:SS') AS started,
            to_char(finished_at, 'YYYY-MM-DD HH24:MI:SS') AS finished, coalesce(error, '') AS error
       FROM import_runs ORDER BY id DESC LIMIT 10`,
  )).rows;
}

export async function jobQueue(pool: pg.Pool): Promise<StatusRow[]> {
  return (await pool.query<StatusRow>(
    `SELECT task_identifier AS task, count(*)::int AS queued,
            count(*) FILTER (WHERE locked_at IS NOT NULL)::int AS running,
            count(*) FILTER (WHERE attempts >= max_attempts)::int AS failed
       FROM graphile_worker.jobs GROUP BY task_identifier ORDER BY 1`,
  )).rows;
}

export async function matchReportTable(pool: pg.Pool): Promise<StatusRow[]> {
  return (await pool.query<StatusRow>(
    `SELECT provider_key AS provider, count(*)::int AS total,
            count(*) FILTER (WHERE movie_id IS NOT NULL)::int AS matched,
            count(*) FILTER (WHERE movie_id IS NULL)::int AS unmatched,
            round(100.0 * count(*) FILTER (WHERE movie_id IS NULL) / count(*), 2)::float AS "unmatched %"
       FROM provider_records GROUP BY provider_key ORDER BY 1`,
  )).rows;
}

export async function unmatchedRows(pool: pg.Pool, provider: string | null, limit: number): Promise<StatusRow[]> {
  return (await pool.query<StatusRow>(
    `SELECT provider_key AS provider, external_id AS id, title, year, match_status AS status, match_reason AS reason
       FROM provider_records
      WHERE match_status IN ('UNMATCHED', 'AMBIGUOUS') AND ($1::text IS NULL OR provider_key = $1)
      ORDER BY provider_key, external_id LIMIT $2`,
    [provider, limit],
  )).rows;
}

export async function runErrorRows(pool: pg.Pool, runId: string, limit: number): Promise<StatusRow[]> {
  return (await pool.query<StatusRow>(
    `SELECT line, reference, reason, excerpt FROM import_errors WHERE run_id = $1 ORDER BY line NULLS LAST, id LIMIT $2`,
    [runId, limit],
  )).rows;
}

export async function unknownGenreRows(pool: pg.Pool): Promise<StatusRow[]> {
  return (await pool.query<StatusRow>(
    `SELECT provider_key AS provider, alias AS spelling, to_char(created_at, 'YYYY-MM-DD') AS "first seen"
       FROM genre_aliases WHERE genre_id IS NULL ORDER BY provider_key, alias`,
  )).rows;
}

export async function failingJobRows(pool: pg.Pool, limit: number): Promise<StatusRow[]> {
  return (await pool.query<StatusRow>(
    `SELECT id, task_identifier AS task, attempts || '/' || max_attempts AS attempts,
            CASE WHEN attempts >= max_attempts THEN 'gave up' ELSE to_char(run_at, 'YYYY-MM-DD HH24:MI:SS') END AS "next attempt",
            coalesce(key, '') AS key, split_part(last_error, chr(10), 1) AS "last error"
       FROM graphile_worker.jobs WHERE last_error IS NOT NULL ORDER BY updated_at DESC LIMIT $1`,
    [limit],
  )).rows;
}
