import type pg from 'pg';
import { emptyChanges, type ChangedRecords } from './record-changes.js';

/**
 * Admins' corrections of matches (table match_corrections), keyed by provider and external id so
 * they outlive the record row: a reimport that brings the record back finds them (matching applies
 * them first: src/db/match-links.ts).
 */

export interface CorrectedRecord {
  id: string;
  movieId: string | null;
}

/** The record, locked for the correction, or null. */
export async function lockRecord(client: pg.PoolClient, providerKey: string, externalId: string): Promise<CorrectedRecord | null> {
  const { rows } = await client.query<CorrectedRecord>(
    `SELECT id::text, movie_id::text AS "movieId" FROM provider_records WHERE provider_key = $1 AND external_id = $2 FOR UPDATE`,
    [providerKey, externalId],
  );
  return rows[0] ?? null;
}

/** Pins the record to the movie (CONFIRM or RELINK): replaces any earlier pin and lifts a rejection of that movie. */
export async function pinRecord(
  client: pg.PoolClient,
  providerKey: string,
  externalId: string,
  movieId: string,
  kind: 'CONFIRM' | 'RELINK',
): Promise<void> {
  await client.query(
    `DELETE FROM match_corrections WHERE provider_key = $1 AND external_id = $2 AND (kind <> 'REJECT' OR movie_id = $3::uuid)`,
    [providerKey, externalId, movieId],
  );
  await client.query(
    `INSERT INTO match_corrections (provider_key, external_id, movie_id, kind) VALUES ($1, $2, $3::uuid, $4)`,
    [providerKey, externalId, movieId, kind],
  );
}

/** Keeps the record away from the movie for good, and lifts any pin. */
export async function rejectRecord(client: pg.PoolClient, providerKey: string, externalId: string, movieId: string): Promise<void> {
  await client.query(`DELETE FROM match_corrections WHERE provider_key = $1 AND external_id = $2 AND kind <> 'REJECT'`, [providerKey, externalId]);
  await client.query(
    `INSERT INTO match_corrections (provider_key, external_id, movie_id, kind) VALUES ($1, $2, $3::uuid, 'REJECT')
     ON CONFLICT (provider_key, external_id, movie_id) DO UPDATE SET kind = 'REJECT', created_at = now()`,
    [providerKey, externalId, movieId],
  );
}

/**
 * Starts a matching pass over these records in the caller's transaction: the temp table
 * `changed_records` (dropped at commit) with each record's current movie as its previous one.
 */
export async function markRecordsChanged(client: pg.PoolClient, recordIds: string[]): Promise<ChangedRecords> {
  await emptyChanges(client);
  const { rowCount } = await client.query(
    `INSERT INTO changed_records (id, previous_movie_id) SELECT id, movie_id FROM provider_records WHERE id = ANY($1::bigint[])`,
    [recordIds],
  );
  return { client, count: rowCount ?? 0 };
}
