import type pg from 'pg';

/** schedule_runs: when each schedule last fired (src/schedule/tasks.ts writes it; `moviec status` reads it). */

export async function recordScheduleFired(
  db: pg.Pool | pg.PoolClient,
  fired: { identifier: string; at: Date; jobId: string; backfilled: boolean },
): Promise<void> {
  // A late job (retried, or slow to be picked up) never moves the time back.
  await db.query(
    `INSERT INTO schedule_runs (identifier, last_fired_at, last_job_id, backfilled) VALUES ($1, $2, $3, $4)
     ON CONFLICT (identifier) DO UPDATE SET last_fired_at = excluded.last_fired_at, last_job_id = excluded.last_job_id,
            backfilled = excluded.backfilled, updated_at = now()
      WHERE schedule_runs.last_fired_at <= excluded.last_fired_at`,
    [fired.identifier, fired.at, fired.jobId, fired.backfilled],
  );
}

/** Each schedule's last firing, as `YYYY-MM-DD HH24:MI` UTC. */
export async function lastScheduleFirings(db: pg.Pool | pg.PoolClient): Promise<Map<string, string>> {
  const { rows } = await db.query<{ identifier: string; last: string }>(
    `SELECT identifier, to_char(last_fired_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS last FROM schedule_runs`,
  );
  return new Map(rows.map((row) => [row.identifier, row.last]));
}
