import type pg from 'pg';

/**
 * Indexes and foreign keys set aside for a bulk write inside one transaction (a first load,
 * db/bulk-load.ts; a first aggregation in bulk, db/aggregate-bulk.ts): dropped before the rows are
 * written, built again from the finished tables afterwards — one sort per index and one join per
 * key instead of a b-tree insertion and a key check per row. The statements are DDL of the
 * caller's transaction: a rollback restores every index and key with the rest.
 */
export interface SetAside {
  /** CREATE INDEX (and ADD PRIMARY KEY) statements of the dropped indexes, unique ones first (their build is the duplicate check). */
  indexes: string[];
  /** The same statements with the table and the access method of each index, for a caller that orders the builds itself. */
  builds: SetAsideIndex[];
  /** ADD CONSTRAINT statements of the dropped foreign keys (validated when added). */
  keys: string[];
}

export interface SetAsideIndex {
  /** CREATE INDEX or ADD PRIMARY KEY. */
  sql: string;
  /** The indexed table, as a regclass prints it. */
  table: string;
  /** The access method (btree, gin, …): PostgreSQL builds a b-tree with parallel workers, a GIN index in one process. */
  method: string;
}

export interface SetAsideOptions {
  /** Tables whose indexes go (never a primary key, nor an index backing a constraint). */
  indexed: readonly string[];
  /** Whether unique indexes that back no constraint go too (the caller's statements do not arbitrate on them). */
  unique: boolean;
  /** Tables whose foreign keys go. */
  keyed: readonly string[];
  /**
   * Tables whose primary key goes too (no foreign key may reference it): only where none of the
   * caller's statements looks rows up through it while it is gone.
   */
  primaryKeyed?: readonly string[];
  /** Indexes of the `indexed` tables left in place, by name (the caller's rows do not enter them, or cost little to enter). */
  kept?: readonly string[];
}

export async function setAsideIndexesAndKeys(client: pg.PoolClient, options: SetAsideOptions): Promise<SetAside> {
  const { rows: indexes } = await client.query<{ drop: string; create: string; table: string; method: string }>(
    `SELECT format('DROP INDEX %I.%I', n.nspname, i.relname) AS drop, pg_get_indexdef(i.oid) AS create,
            x.indrelid::regclass::text AS table, a.amname AS method
       FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_am a ON a.oid = i.relam
       JOIN pg_namespace n ON n.oid = i.relnamespace
      WHERE x.indrelid = ANY($1::regclass[])
        AND NOT x.indisprimary AND ($2 OR NOT x.indisunique) AND NOT i.relname = ANY($3::text[])
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.conrelid = x.indrelid)
      ORDER BY x.indisunique DESC, x.indrelid, i.relname`,
    [options.indexed, options.unique, options.kept ?? []],
  );
  const { rows: keys } = await client.query<{ drop: string; create: string }>(
    `SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', k.conrelid::regclass, k.conname) AS drop,
            format('ALTER TABLE %s ADD CONSTRAINT %I %s', k.conrelid::regclass, k.conname, pg_get_constraintdef(k.oid)) AS create
       FROM pg_constraint k
      WHERE k.conrelid = ANY($1::regclass[]) AND k.contype = 'f'
      ORDER BY k.conrelid, k.conname`,
    [options.keyed],
  );
  const { rows: primary } = await client.query<{ drop: string; create: string; table: string }>(
    `SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', k.conrelid::regclass, k.conname) AS drop,
            format('ALTER TABLE %s ADD CONSTRAINT %I %s', k.conrelid::regclass, k.conname, pg_get_constraintdef(k.oid)) AS create,
            k.conrelid::regclass::text AS table
       FROM pg_constraint k
      WHERE k.conrelid = ANY($1::regclass[]) AND k.contype = 'p'
        AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.confrelid = k.conrelid)
      ORDER BY k.conrelid`,
    [options.primaryKeyed ?? []],
  );
  const dropped = [...keys, ...primary, ...indexes];
  if (dropped.length) await client.query(dropped.map((s) => `${s.drop};`).join('\n'));
  const builds = [
    ...primary.map((p) => ({ sql: p.create, table: p.table, method: 'btree' })),
    ...indexes.map((i) => ({ sql: i.create, table: i.table, method: i.method })),
  ];
  return { indexes: builds.map((b) => b.sql), builds, keys: keys.map((k) => k.create) };
}
