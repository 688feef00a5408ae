import type pg from 'pg';
import { withTransaction } from './pool.js';
import type { SetAsideIndex } from './set-aside.js';

/**
 * Indexes a large first load leaves unbuilt (issue 18 point 3). A first load sets movies' indexes
 * aside and builds them again from the finished table (db/bulk-load.ts); its first aggregation in
 * bulk then drops movies' non-unique ones and builds them again at its end (db/aggregate-bulk.ts):
 * the real dump built those eight indexes twice (~2.4 s of the import on one core). A first load
 * of at least DEFER_INDEXES_MIN_MOVIES movies (its aggregation is then one `aggregate-first-load`
 * job, which rebuilds in bulk) records their definitions in `deferred_indexes` instead, in its
 * transaction; whoever aggregates the first load builds them, once:
 * - the bulk rebuild takes them (takeDeferredIndexes) and builds them at its end with the indexes
 *   it set aside, in its transaction (a rollback leaves the rows for the next attempt);
 * - the first load's job, when it does not rebuild in bulk, builds them before it queues chunks;
 * - a row left with no first load's job queued (the job failed for good, the queue was cleared) is
 *   built at the next start-up (recoverDeferredIndexes, db/setup.ts).
 * Until then the catalogue (not yet aggregated: no scores, no search rows) is read without them:
 * slower lists, the same rows.
 */

/** A first load of at least this many movies defers movies' non-unique indexes (BULK_JOB_THRESHOLDS.minFresh: its job rebuilds in bulk). */
export const DEFER_INDEXES_MIN_MOVIES = 50_000;

/** Whether the movies table holds at least DEFER_INDEXES_MIN_MOVIES rows (reads that many at most). */
export async function enoughMoviesToDefer(client: pg.PoolClient): Promise<boolean> {
  const { rows } = await client.query<{ enough: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM movies OFFSET $1) AS enough',
    [DEFER_INDEXES_MIN_MOVIES - 1],
  );
  return rows[0]!.enough;
}

/** Records indexes left unbuilt, in the caller's transaction. */
export async function deferIndexes(client: pg.PoolClient, builds: SetAsideIndex[]): Promise<void> {
  if (!builds.length) return;
  await client.query(
    `INSERT INTO deferred_indexes (name, table_name, method, definition)
     SELECT x.name, x.table_name, x.method, x.definition
       FROM jsonb_to_recordset($1::jsonb) AS x(name text, table_name text, method text, definition text)
     ON CONFLICT (name) DO UPDATE SET table_name = excluded.table_name, method = excluded.method, definition = excluded.definition`,
    [JSON.stringify(builds.map((b) => ({ name: indexName(b.sql), table_name: b.table, method: b.method, definition: b.sql })))],
  );
}

/**
 * The deferred indexes that do not exist, deleted from `deferred_indexes` in the caller's
 * transaction: the caller builds them before it commits (a rollback leaves them deferred).
 */
export async function takeDeferredIndexes(client: pg.PoolClient): Promise<SetAsideIndex[]> {
  const { rows } = await client.query<{ sql: string; table: string; method: string; missing: boolean }>(
    `DELETE FROM deferred_indexes
     RETURNING definition AS sql, table_name AS "table", method, to_regclass(quote_ident(name)) IS NULL AS missing`,
  );
  return rows.filter((r) => r.missing).sort((a, b) => a.sql.localeCompare(b.sql)).map(({ sql, table, method }) => ({ sql, table, method }));
}

/** Builds the deferred indexes in the caller's transaction; returns how many. */
export async function buildDeferredIndexes(client: pg.PoolClient): Promise<number> {
  const builds = await takeDeferredIndexes(client);
  for (const build of builds) await client.query(build.sql);
  return builds.length;
}

/**
 * At start-up: deferred indexes whose first load's job is no longer queued are built now (one
 * cheap read when none is deferred). Two processes starting at once build them once: the second's
 * delete waits for the first's and finds the rows gone.
 */
export async function recoverDeferredIndexes(pool: pg.Pool, firstLoadTask: string): Promise<number> {
  const { rows } = await pool.query<{ deferred: boolean; queue: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM deferred_indexes) AS deferred, to_regclass('graphile_worker._private_jobs') IS NOT NULL AS queue`,
  );
  if (!rows[0]!.deferred) return 0;
  if (rows[0]!.queue) {
    const { rows: queued } = await pool.query<{ queued: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
                       WHERE t.identifier = $1 AND j.attempts < j.max_attempts) AS queued`,
      [firstLoadTask],
    );
    if (queued[0]!.queued) return 0;
  }
  return withTransaction(pool, buildDeferredIndexes);
}

/** The index's name in its CREATE INDEX statement (as pg_get_indexdef prints it). */
function indexName(sql: string): string {
  const match = /^CREATE (?:UNIQUE )?INDEX (\S+) ON /.exec(sql);
  if (!match) throw new Error(`not a CREATE INDEX statement: ${sql.slice(0, 80)}`);
  return match[1]!.replace(/^"(.*)"$/, '$1');
}
