import type pg from 'pg';
import {
  IMPORT_RUN_COLUMNS,
  toImportRunRecord,
  type GenreRecord,
  type ImportRunRow,
  type ImportRunRecord,
  type MatchStatsRecord,
  type ProviderRecord,
} from './records.js';

/** Reads of the small reference tables and of import runs, for the catalogue queries. */

export async function listGenres(pool: pg.Pool): Promise<GenreRecord[]> {
  const { rows } = await pool.query<GenreRecord>(`SELECT name FROM genres ORDER BY name`);
  return rows;
}

export async function listProviders(pool: pg.Pool): Promise<ProviderRecord[]> {
  const { rows } = await pool.query<ProviderRecord>(`SELECT key, name, kind::text AS kind FROM providers ORDER BY key`);
  return rows;
}

export async function findImportRun(pool: pg.Pool, id: string): Promise<ImportRunRecord | null> {
  const { rows } = await pool.query<ImportRunRow>(`SELECT ${IMPORT_RUN_COLUMNS} FROM import_runs r WHERE r.id = $1::bigint`, [id]);
  return rows[0] ? toImportRunRecord(rows[0]) : null;
}

/** The newest runs first, optionally of one provider. */
export async function listImportRuns(pool: pg.Pool, providerKey: string | null, limit: number): Promise<ImportRunRecord[]> {
  const { rows } = await pool.query<ImportRunRow>(
    `SELECT ${IMPORT_RUN_COLUMNS} FROM import_runs r
      WHERE $1::text IS NULL OR r.provider_key = $1
      ORDER BY r.id DESC LIMIT $2`,
    [providerKey, limit],
  );
  return rows.map(toImportRunRecord);
}

/** The newest run of each of the given providers (providers without runs are absent). */
export async function lastRunsOfProviders(pool: pg.Pool, keys: readonly string[]): Promise<ImportRunRecord[]> {
  const { rows } = await pool.query<ImportRunRow>(
    `SELECT DISTINCT ON (r.provider_key) ${IMPORT_RUN_COLUMNS} FROM import_runs r
      WHERE r.provider_key = ANY($1::text[])
      ORDER BY r.provider_key, r.id DESC`,
    [keys],
  );
  return rows.map(toImportRunRecord);
}

/**
 * Per known provider, how many of its records are linked to a movie. Unmatched counts every record
 * without a movie (unmatched, ambiguous, or still pending within a running import).
 */
export async function matchReport(pool: pg.Pool): Promise<MatchStatsRecord[]> {
  const { rows } = await pool.query<MatchStatsRecord>(
    `SELECT p.key AS "providerKey", coalesce(s.total, 0)::int AS total, coalesce(s.matched, 0)::int AS matched,
            coalesce(s.total - s.matched, 0)::int AS unmatched,
            CASE WHEN coalesce(s.total, 0) = 0 THEN 0
                 ELSE round(100.0 * (s.total - s.matched) / s.total, 2)::float8 END AS "unmatchedPercent"
       FROM providers p
       LEFT JOIN (SELECT provider_key, count(*) AS total, count(movie_id) AS matched
                    FROM provider_records GROUP BY provider_key) s ON s.provider_key = p.key
      ORDER BY p.key`,
  );
  return rows;
}
