import type pg from 'pg';

/**
 * Worker liveness in PostgreSQL (src/workers/recovery.ts): each worker process holds one
 * connection named `<prefix><poolId>`; a worker pool that locks jobs without such a connection is
 * gone, and its jobs are released with Graphile Worker's force_unlock_workers.
 */

/** Names the connection `name` for as long as it lives (pg_stat_activity.application_name). */
export async function nameConnection(client: pg.PoolClient, name: string): Promise<void> {
  await client.query(`SELECT set_config('application_name', $1, false)`, [name]);
}

/**
 * Worker pools (other than `ownPoolId`) that hold job locks and have no connection named `prefix`
 * + their id. None while any connection is named `startingName`: a worker pool starting somewhere
 * may lock jobs under an id its liveness connection does not carry yet.
 */
export async function workersWithoutConnection(db: pg.Pool, ownPoolId: string | null, prefix: string, startingName: string): Promise<string[]> {
  const { rows } = await db.query<{ worker: string }>(
    `SELECT DISTINCT j.locked_by AS worker FROM graphile_worker.jobs j
      WHERE j.locked_by LIKE 'pool-%' AND j.locked_by IS DISTINCT FROM $1
        AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.application_name = $2 || j.locked_by)
        AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.application_name = $3)`,
    [ownPoolId, prefix, startingName],
  );
  return rows.map((r) => r.worker);
}

/** Releases the jobs these worker pools locked, for other workers to run. */
export async function releaseWorkerJobs(db: pg.Pool, workerIds: string[]): Promise<void> {
  await db.query('SELECT graphile_worker.force_unlock_workers($1::text[])', [workerIds]);
}
