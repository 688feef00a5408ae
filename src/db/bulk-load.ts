import type pg from 'pg';

/**
 * A first load into an empty catalogue (issue 18): inside the merge's transaction the secondary
 * indexes of `movies` and `provider_records` and provider_records' foreign keys are dropped, the
 * rows written, then the indexes built again from the table and the keys validated in one join
 * each. Maintaining ten indexes row by row (random uuid keys among them) and checking two foreign
 * keys per row was most of a first import (720k movies: 39 s for the movies insert alone); a build
 * from the finished table sorts once.
 *
 * Only when both tables are empty, and only when their ACCESS EXCLUSIVE locks are granted at once
 * (NOWAIT: a reader or another import holding them means the ordinary path is taken, never a wait
 * that could deadlock). The locks last until the transaction ends; a rollback (a failed or
 * interrupted import) restores every index and key with the rest. Unique and constraint-backed
 * indexes (the primary keys, the unique keys the merge's ON CONFLICT relies on) are kept.
 */
export interface BulkLoad {
  /** Builds the dropped indexes and adds the dropped keys back (validated), then refreshes the planner's statistics. */
  restore(): Promise<void>;
}

const TABLES = ['movies', 'provider_records'] as const;

/** Starts a bulk load when movies and provider_records are empty and can be locked at once; null otherwise. */
export async function beginBulkLoad(client: pg.PoolClient): Promise<BulkLoad | null> {
  if (!(await bothEmpty(client))) return null;
  await client.query('SAVEPOINT moviec_bulk_load');
  try {
    await client.query('LOCK TABLE movies, provider_records IN ACCESS EXCLUSIVE MODE NOWAIT');
  } catch (error) {
    if ((error as { code?: string }).code !== '55P03') throw error;
    await client.query('ROLLBACK TO SAVEPOINT moviec_bulk_load');
    return null;
  }
  await client.query('RELEASE SAVEPOINT moviec_bulk_load');
  // Rows another transaction committed between the check and the lock.
  if (!(await bothEmpty(client))) return null;

  const { rows: indexes } = await client.query<{ drop: string; create: string }>(
    `SELECT format('DROP INDEX %I.%I', n.nspname, i.relname) AS drop, pg_get_indexdef(i.oid) AS create
       FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_namespace n ON n.oid = i.relnamespace
      WHERE x.indrelid = ANY($1::regclass[])
        AND NOT x.indisunique AND NOT x.indisprimary
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.conrelid = x.indrelid)
      ORDER BY i.relname`,
    [TABLES],
  );
  const { rows: keys } = await client.query<{ drop: string; create: string }>(
    `SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', k.conrelid::regclass, k.conname) AS drop,
            format('ALTER TABLE %s ADD CONSTRAINT %I %s', k.conrelid::regclass, k.conname, pg_get_constraintdef(k.oid)) AS create
       FROM pg_constraint k
      WHERE k.conrelid = 'provider_records'::regclass AND k.contype = 'f'
      ORDER BY k.conname`,
  );
  for (const key of keys) await client.query(key.drop);
  for (const index of indexes) await client.query(index.drop);
  return {
    async restore() {
      for (const index of indexes) await client.query(index.create);
      for (const key of keys) await client.query(key.create);
      // The planner saw empty tables: the matching and queueing statements that follow need real counts.
      // Only the columns the merge, matching and queueing join and filter on (jsonb columns cost seconds to sample).
      await client.query(
        `ANALYZE movies (id, imdb_id, title, year),
                 provider_records (id, provider_key, external_id, imdb_id, tmdb_id, movie_id, match_status, match_method)`,
      );
    },
  };
}

async function bothEmpty(client: pg.PoolClient): Promise<boolean> {
  const { rows } = await client.query<{ empty: boolean }>(
    'SELECT NOT EXISTS (SELECT 1 FROM movies) AND NOT EXISTS (SELECT 1 FROM provider_records) AS empty',
  );
  return rows[0]!.empty;
}
