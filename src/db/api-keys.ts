import type pg from 'pg';

/** SQL of partner API keys (table api_keys). Keys are stored as their SHA-256 only. */

type Db = pg.Pool | pg.PoolClient;

export interface ApiKeyRow {
  id: string;
  name: string;
  keyPrefix: string;
  requestsPerMinute: number;
  createdAt: string;
  revokedAt: string | null;
}

const COLUMNS = `id::text AS id, name, key_prefix AS "keyPrefix", requests_per_minute AS "requestsPerMinute",
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt",
  to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "revokedAt"`;

export async function insertApiKey(
  db: Db,
  key: { name: string; keyHash: string; keyPrefix: string; requestsPerMinute: number },
): Promise<ApiKeyRow> {
  const { rows } = await db.query<ApiKeyRow>(
    `INSERT INTO api_keys (name, key_hash, key_prefix, requests_per_minute) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
    [key.name, key.keyHash, key.keyPrefix, key.requestsPerMinute],
  );
  return rows[0]!;
}

export async function listApiKeys(db: Db): Promise<ApiKeyRow[]> {
  return (await db.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys ORDER BY id`)).rows;
}

export async function findApiKey(db: Db, id: string): Promise<ApiKeyRow | null> {
  return (await db.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1::bigint`, [id])).rows[0] ?? null;
}

/** The key with this hash, revoked or not; null when no key has it. */
export async function findApiKeyByHash(db: Db, keyHash: string): Promise<ApiKeyRow | null> {
  return (await db.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = $1`, [keyHash])).rows[0] ?? null;
}

/** Revokes a key; returns its hash (to refuse it everywhere at once), null when there is no such key. */
export async function revokeApiKey(db: Db, id: string): Promise<{ keyHash: string } | null> {
  const { rows } = await db.query<{ keyHash: string }>(
    `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1::bigint RETURNING key_hash AS "keyHash"`,
    [id],
  );
  return rows[0] ?? null;
}

export const API_KEYS_CHANNEL = 'moviec_api_keys';

/** Tells other processes (LISTEN moviec_api_keys) to forget what they know of a key. */
export async function notifyKeyRevoked(db: Db, keyHash: string): Promise<void> {
  await db.query(`SELECT pg_notify($1, $2)`, [API_KEYS_CHANNEL, keyHash]);
}
