import type pg from 'pg';

/** Prints recent import runs, the job queue and the match report as plain tables. */
export async function printStatus(pool: pg.Pool): Promise<void> {
  const runs = await pool.query(
    `SELECT id, provider_key AS provider, trigger, status, rows_read AS read, rows_changed AS changed,
            rows_rejected AS rejected, to_char(started_at, 'YYYY-MM-DD HH24:MI:SS') AS started,
            to_char(finished_at, 'YYYY-MM-DD HH24:MI:SS') AS finished, coalesce(error, '') AS error
       FROM import_runs ORDER BY id DESC LIMIT 10`,
  );
  console.log('Recent import runs');
  console.table(runs.rows);

  const queue = await pool.query(
    `SELECT task_identifier AS task, count(*)::int AS queued,
            count(*) FILTER (WHERE locked_at IS NOT NULL)::int AS running,
            count(*) FILTER (WHERE attempts >= max_attempts)::int AS failed
       FROM graphile_worker.jobs GROUP BY task_identifier ORDER BY 1`,
  );
  console.log('Job queue');
  console.table(queue.rows.length ? queue.rows : [{ task: '(empty)', queued: 0, running: 0, failed: 0 }]);

  const report = await pool.query(
    `SELECT provider_key AS provider, count(*)::int AS total,
            count(*) FILTER (WHERE movie_id IS NOT NULL)::int AS matched,
            count(*) FILTER (WHERE movie_id IS NULL)::int AS unmatched,
            round(100.0 * count(*) FILTER (WHERE movie_id IS NULL) / count(*), 2)::float AS "unmatched %"
       FROM provider_records GROUP BY provider_key ORDER BY 1`,
  );
  console.log('Match report');
  console.table(report.rows);
}
