import type pg from 'pg';
import { PINNED } from './match-links.js';
import { emptyChanges, type ChangedRecords } from './record-changes.js';

/** A record whose movie changed in a rematch. */
export interface MovedRecord {
  providerKey: string;
  externalId: string;
  title: string | null;
  year: number | null;
  fromMovieId: string | null;
  fromTitle: string | null;
  toMovieId: string | null;
  toTitle: string | null;
  reason: string | null;
}

/**
 * Starts a rematch in the caller's transaction: the change set (record-changes.ts) holds every
 * record matched by title, unmatched or ambiguous (of one provider, or all), never one linked by id
 * or pinned by an admin. Returns how many.
 */
export async function markTitleMatchesChanged(client: pg.PoolClient, providerKey: string | null): Promise<ChangedRecords> {
  await emptyChanges(client);
  const { rowCount } = await client.query(
    `INSERT INTO changed_records (id, previous_movie_id)
     SELECT pr.id, pr.movie_id FROM provider_records pr
      WHERE ($1::text IS NULL OR pr.provider_key = $1)
        AND (pr.match_method = 'title_year' OR pr.match_status IN ('UNMATCHED', 'AMBIGUOUS', 'PENDING'))
        AND NOT ${PINNED}`,
    [providerKey],
  );
  return { client, count: rowCount ?? 0 };
}

/** The records of `changed_records` whose movie changed, with both movies' titles. */
export async function movedRecords({ client }: ChangedRecords): Promise<MovedRecord[]> {
  const { rows } = await client.query<MovedRecord>(
    `SELECT pr.provider_key AS "providerKey", pr.external_id AS "externalId", pr.title, pr.year,
            c.previous_movie_id::text AS "fromMovieId", f.title AS "fromTitle",
            pr.movie_id::text AS "toMovieId", t.title AS "toTitle", pr.match_reason AS reason
       FROM changed_records c
       JOIN provider_records pr ON pr.id = c.id
       LEFT JOIN movies f ON f.id = c.previous_movie_id
       LEFT JOIN movies t ON t.id = pr.movie_id
      WHERE c.previous_movie_id IS DISTINCT FROM pr.movie_id
      ORDER BY pr.provider_key, pr.external_id`,
  );
  return rows;
}

/** The matching rules version the catalogue was last matched under (1: before it was recorded). */
export async function lockMatchingRulesVersion(client: pg.PoolClient): Promise<number> {
  // One process at a time decides whether to rematch (every start-up checks).
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('moviec:matching_rules'))`);
  const { rows } = await client.query<{ rules_version: number }>('SELECT rules_version FROM matching_state WHERE id = 1');
  return rows[0]?.rules_version ?? 1;
}

export async function saveMatchingRulesVersion(client: pg.PoolClient, version: number): Promise<void> {
  await client.query(
    `INSERT INTO matching_state (id, rules_version, rematched_at) VALUES (1, $1, now())
     ON CONFLICT (id) DO UPDATE SET rules_version = excluded.rules_version, rematched_at = now()`,
    [version],
  );
}
