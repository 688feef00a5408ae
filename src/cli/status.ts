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
  console.log(rows.length ? `Rows without a movie (at most ${limit})` : 'Every row is matched to a movie.');
  if (rows.length) console.table(rows);
}

/** Prints the rejected rows of one import run. */
export async function printRunErrors(pool: pg.Pool, runId: string, limit: number): Promise<void> {
  const { rows } = await pool.query(
    `SELECT line, reference, reason, excerpt FROM import_errors WHERE run_id = $1 ORDER BY line NULLS LAST, id LIMIT $2`,
    [runId, limit],
  );
  console.log(rows.length ? `Rejected rows of run ${runId} (at most ${limit})` : `Run ${runId} rejected no rows.`);
  if (rows.length) console.table(rows);
}

/** Prints provider genre spellings no alias maps to a canonical genre. */
export async function printUnknownGenres(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query(
    `SELECT provider_key AS provider, alias AS spelling, to_char(created_at, 'YYYY-MM-DD') AS "first seen"
       FROM genre_aliases WHERE genre_id IS NULL ORDER BY provider_key, alias`,
  );
  console.log(rows.length ? 'Genre spellings without a canonical genre (kept on the records)' : 'Every genre spelling is known.');
  if (rows.length) console.table(rows);
}
