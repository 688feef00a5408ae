import type pg from 'pg';
import { isLockNotGranted } from './errors.js';
import { deferIndexes } from './deferred-indexes.js';
import { setAsideIndexesAndKeys } from './set-aside.js';

/**
 * A first load into an empty catalogue (issue 18): inside the merge's transaction the indexes of
 * `movies` and `provider_records` other than their primary keys (and BULK_KEPT_INDEXES), provider_records' foreign keys
 * and the row triggers a first load does not need are set aside, the rows written with plain
 * INSERTs (nothing to conflict with: the merge's statements for a bulk load have no ON CONFLICT),
 * then the unique indexes built again first (the build is the duplicate check, set-based), the
 * others after, the keys validated in one join each and the triggers enabled. Maintaining the
 * indexes row by row (the random uuid key, the unique keys the upserts arbitrate on) and firing a
 * trigger per row was most of a first import (720k movies: 39 s for the movies insert alone with
 * ten indexes, 20 s with the two unique ones); a build from the finished table sorts once.
 *
 * Only when both tables are empty, and only when their ACCESS EXCLUSIVE locks are granted within
 * BULK_LOCK_WAIT (a reader or another import holding them longer means the ordinary path is taken,
 * never an unbounded wait). Not NOWAIT: a first load retried after a failed one finds autovacuum
 * cleaning the rolled-back rows out of `movies`, and a refused lock sent that retry down the
 * ordinary path (minutes instead of seconds on the real dump); a lock request that waits makes
 * PostgreSQL cancel the autovacuum after deadlock_timeout (1 s). The locks last until the
 * transaction ends; a rollback (a failed or interrupted import) restores every index, key and
 * trigger with the rest.
 *
 * The triggers set aside are the ones whose work the bulk statements do themselves
 * (BULK_TRIGGERS): any other trigger on the two tables stays enabled.
 */
export interface BulkLoad {
  /**
   * Builds the dropped indexes (unique ones first), adds the dropped keys back (validated), enables the triggers, refreshes the planner's statistics.
   * `deferMovies`: movies' non-unique indexes are left to the first aggregation in bulk instead (db/deferred-indexes.ts).
   */
  restore(options?: { deferMovies?: boolean }): Promise<void>;
}

const TABLES = ['movies', 'provider_records'] as const;

/** How long a first load waits for its tables' locks before it takes the ordinary path. */
const BULK_LOCK_WAIT = '3s';

/**
 * Triggers a bulk load disables, with what stands in for each:
 * - `movies_search_insert`: the search row of a created movie is written by its first
 *   aggregation; movie creation defers it anyway (record-changes.ts insertMoviesDeferringSearch),
 *   but the trigger's transition table still collected every new row;
 * - `provider_records_matched_at_insert`: the bulk insert sets `matched_at` = now() on every row
 *   it links to a movie, as the trigger does.
 */
const BULK_TRIGGERS = { movies: ['movies_search_insert'], provider_records: ['provider_records_matched_at_insert'] } as const;

/**
 * Partial indexes a first load's rows do not enter, left in place: their predicates hold for none
 * of the rows the bulk statements write (match_status PENDING or MATCHED, withdrawn_at NULL), so
 * keeping them costs a predicate test per row, where a build afterwards scans the whole table for
 * no entry (~0.2 s each at the real dump). Keeping an index is always correct; a row that did
 * enter one would only be slower to write.
 */
const BULK_KEPT_INDEXES = ['provider_records_unmatched_idx', 'provider_records_withdrawn_at_idx'] as const;

/** Starts a bulk load when movies and provider_records are empty and can be locked at once; null otherwise. */
export async function beginBulkLoad(client: pg.PoolClient): Promise<BulkLoad | null> {
  if (!(await bothEmpty(client))) return null;
  const { rows: setting } = await client.query<{ lock_timeout: string }>(`SELECT current_setting('lock_timeout') AS lock_timeout`);
  await client.query('SAVEPOINT moviec_bulk_load');
  try {
    await client.query(`SELECT set_config('lock_timeout', $1, true)`, [BULK_LOCK_WAIT]);
    await client.query('LOCK TABLE movies, provider_records IN ACCESS EXCLUSIVE MODE');
  } catch (error) {
    // Not granted in time, or cancelled to break a deadlock: the savepoint gives the ordinary path.
    if (!isLockNotGranted(error)) throw error;
    // Also undoes the lock_timeout.
    await client.query('ROLLBACK TO SAVEPOINT moviec_bulk_load');
    return null;
  }
  await client.query('RELEASE SAVEPOINT moviec_bulk_load');
  await client.query(`SELECT set_config('lock_timeout', $1, true)`, [setting[0]!.lock_timeout]);
  // Rows another transaction committed between the check and the lock.
  if (!(await bothEmpty(client))) return null;

  // Unique indexes that back no constraint go too (their build afterwards checks the rows); the
  // primary keys stay (other tables' foreign keys reference movies.id).
  const { indexes, builds, keys } = await setAsideIndexesAndKeys(client, {
    indexed: TABLES, unique: true, keyed: ['provider_records'], kept: BULK_KEPT_INDEXES,
  });
  const { rows: triggers } = await client.query<{ disable: string; enable: string }>(
    `SELECT format('ALTER TABLE %s DISABLE TRIGGER %I', t.tgrelid::regclass, t.tgname) AS disable,
            format('ALTER TABLE %s ENABLE TRIGGER %I', t.tgrelid::regclass, t.tgname) AS enable
       FROM pg_trigger t
      WHERE NOT t.tgisinternal AND t.tgenabled <> 'D'
        AND ((t.tgrelid = 'movies'::regclass AND t.tgname = ANY($1::text[]))
          OR (t.tgrelid = 'provider_records'::regclass AND t.tgname = ANY($2::text[])))
      ORDER BY t.tgname`,
    [BULK_TRIGGERS.movies, BULK_TRIGGERS.provider_records],
  );
  for (const trigger of triggers) await client.query(trigger.disable);
  // Index builds sort in memory (the default 64 MB spills the real dump's sorts to disk).
  await client.query(`SELECT set_config('maintenance_work_mem', '256MB', true)`);
  // The load's ANALYZEs (of movies before the records join them, and of both tables at the end)
  // sample for this transaction's plans only: see BULK_STATISTICS_TARGET.
  const { rows: target } = await client.query<{ target: string }>(
    `SELECT current_setting('default_statistics_target') AS target, set_config('default_statistics_target', $1, true)`,
    [String(BULK_STATISTICS_TARGET)],
  );
  const fillfactor = await leaveRoomInMovies(client);
  return {
    async restore({ deferMovies = false } = {}) {
      // Movies inserted after the load fill their pages as the table's own setting says.
      await client.query(fillfactor);
      // Movies' non-unique indexes: built once, by the first aggregation in bulk, which drops them anyway.
      const deferred = deferMovies ? builds.filter((b) => b.table === 'movies' && !b.sql.startsWith('CREATE UNIQUE ')) : [];
      for (const index of indexes) if (!deferred.some((d) => d.sql === index)) await client.query(index);
      await deferIndexes(client, deferred);
      for (const key of keys) await client.query(key);
      for (const trigger of triggers) await client.query(trigger.enable);
      // The planner saw empty tables: the matching and queueing statements that follow need real counts.
      // Only the columns the merge, matching and queueing join and filter on (jsonb columns cost seconds to sample).
      await client.query(
        `ANALYZE movies (id, imdb_id, title, year),
                 provider_records (id, provider_key, external_id, imdb_id, tmdb_id, movie_id, match_status, match_method)`,
      );
      await client.query(`SELECT set_config('default_statistics_target', $1, true)`, [target[0]!.target]);
    },
  };
}

/**
 * The statistics target of a first load's ANALYZEs (PostgreSQL samples 300 rows per unit: 3,000
 * rows instead of the default 100's 30,000). They serve the plans of the rest of the load's
 * transaction, which need the tables' sizes and the rough shape of the keys they join on, not
 * fine histograms: 0.3 s of sampling at the real dump became 0.05 s. Autovacuum gathers the
 * full statistics after the commit (a first load's inserts are far above its analyze threshold),
 * and the first bulk aggregation its own of movies.
 */
const BULK_STATISTICS_TARGET = 10;

/**
 * A first load's movies are written with room left in their pages for their first aggregation:
 * the bulk rebuild (aggregate-bulk.ts) then rewrites each movie in its own page, a heap-only
 * update (HOT) — no insertion into the indexes the rebuild keeps, and the replaced versions,
 * being HOT-updated, left out of the indexes it builds again at its end. Without the room each
 * aggregated movie went to a new page with an entry in movies_pkey and movies_imdb_id_key (~40 %
 * of the rebuild's UPDATE), and the end's eight index builds of movies indexed both versions of
 * every movie (the table's indexes twice their size). A loaded IMDb movie is ~135 bytes in its
 * page and its first aggregate ~390 (scores, provenance, original title, runtime): pages filled to
 * FIRST_LOAD_FILLFACTOR % hold the replacement of every movie they hold. The heap is then as
 * large after the load as it would have been after the rebuild. Returns the statement that sets
 * the table's own fillfactor back (run before the indexes are built; a rollback restores it too).
 */
const FIRST_LOAD_FILLFACTOR = 25;

async function leaveRoomInMovies(client: pg.PoolClient): Promise<string> {
  const { rows } = await client.query<{ fillfactor: string | null }>(
    `SELECT (SELECT o.option_value FROM pg_options_to_table(c.reloptions) o WHERE o.option_name = 'fillfactor') AS fillfactor
       FROM pg_class c WHERE c.oid = 'movies'::regclass`,
  );
  const own = rows[0]?.fillfactor;
  await client.query(`ALTER TABLE movies SET (fillfactor = ${FIRST_LOAD_FILLFACTOR})`);
  return own == null ? 'ALTER TABLE movies RESET (fillfactor)' : `ALTER TABLE movies SET (fillfactor = ${Number(own)})`;
}

async function bothEmpty(client: pg.PoolClient): Promise<boolean> {
  const { rows } = await client.query<{ empty: boolean }>(
    'SELECT NOT EXISTS (SELECT 1 FROM movies) AND NOT EXISTS (SELECT 1 FROM provider_records) AS empty',
  );
  return rows[0]!.empty;
}
