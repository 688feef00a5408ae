import type pg from 'pg';
import { emptyChanges, type ChangedRecords } from './record-changes.js';

/**
 * Records that vanished from a provider's full file (issue 13 point 4). A full-snapshot run marks,
 * in one statement, every record of its provider its input did not hold (the merge's temp tables
 * `staged` and `held`, src/db/record-changes.ts): `withdrawn_at` is set and the record's movie is flagged (`Movie.withdrawnFrom`) but still
 * aggregated with it. Once `withdrawn_at` is older than the grace period, `withdrawal_applied_at` is
 * set and aggregation leaves the record out (src/db/aggregates.ts); a record seen again is restored
 * by the merge (src/db/record-changes.ts).
 */

/**
 * Marks the provider's records this full-snapshot run did not see as withdrawn (those not already
 * withdrawn), set-based in one statement after mergeStagedRun (its temp tables `staged`, every
 * record the input held, and `held`, records a rejected row holds); returns how many were newly marked.
 */
export async function markVanishedRecords(client: pg.PoolClient, providerKey: string, now: Date): Promise<number> {
  // The records join the run's changes (the temp table changed_records, src/db/record-changes.ts):
  // their movies are re-aggregated, which records the flag as a change and invalidates caches.
  const { rowCount } = await client.query(
    `WITH vanished AS (
       UPDATE provider_records pr SET withdrawn_at = $2
        WHERE pr.provider_key = $1 AND pr.withdrawn_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM staged s WHERE s.external_id = pr.external_id)
          AND NOT EXISTS (SELECT 1 FROM held h WHERE h.holds = 'record' AND h.external_id = pr.external_id)
       RETURNING id, movie_id
     )
     INSERT INTO changed_records (id, previous_movie_id) SELECT id, movie_id FROM vanished ON CONFLICT (id) DO NOTHING`,
    [providerKey, now],
  );
  return rowCount ?? 0;
}

/**
 * Dates a full snapshot of the provider (providers.snapshot_seen_at): every record of it that the
 * snapshot did not withdraw was in it, so a record was last read at the later of this and its own
 * last_seen_at (which a full snapshot no longer stamps on unchanged rows: Rating.fetchedAt, src/db/movies.ts).
 */
export async function markSnapshotSeen(client: pg.PoolClient, providerKey: string): Promise<void> {
  await client.query('UPDATE providers SET snapshot_seen_at = now() WHERE key = $1', [providerKey]);
}

/**
 * Applies the withdrawals whose grace period is over (every provider): the records are left out of
 * aggregation from now on, and the movies they belong to are the returned changes (for
 * queueAggregationOfChanges, in the caller's transaction).
 */
export async function applyDueWithdrawals(client: pg.PoolClient, now: Date, graceDays: number): Promise<ChangedRecords> {
  await emptyChanges(client);
  const { rowCount } = await client.query(
    `WITH due AS (
       UPDATE provider_records SET withdrawal_applied_at = $1
        WHERE withdrawn_at IS NOT NULL AND withdrawal_applied_at IS NULL
          AND withdrawn_at <= $1::timestamptz - make_interval(secs => $2::float8 * 86400)
       RETURNING id, movie_id
     )
     INSERT INTO changed_records (id, previous_movie_id) SELECT id, movie_id FROM due`,
    [now, graceDays],
  );
  return { client, count: rowCount ?? 0 };
}

/** Per movie, the providers whose records of it are withdrawn (vanished from their full file). */
export async function withdrawnProvidersOfMovies(pool: pg.Pool, movieIds: readonly string[]): Promise<{ movieId: string; providers: string[] }[]> {
  const { rows } = await pool.query<{ movieId: string; providers: string[] }>(
    `SELECT movie_id AS "movieId", array_agg(DISTINCT provider_key ORDER BY provider_key) AS providers
       FROM provider_records
      WHERE movie_id = ANY($1::uuid[]) AND withdrawn_at IS NOT NULL
      GROUP BY movie_id`,
    [movieIds],
  );
  return rows;
}

/** Per provider, the records withdrawn (vanished from its last full file), those already left out of aggregation, and their movies. */
export interface WithdrawnCounts {
  providerKey: string;
  records: number;
  applied: number;
  movies: number;
}

export async function withdrawnCounts(db: pg.Pool | pg.PoolClient): Promise<WithdrawnCounts[]> {
  const { rows } = await db.query<WithdrawnCounts>(
    `SELECT provider_key AS "providerKey", count(*)::int AS records,
            count(*) FILTER (WHERE withdrawal_applied_at IS NOT NULL)::int AS applied,
            count(DISTINCT movie_id)::int AS movies
       FROM provider_records WHERE withdrawn_at IS NOT NULL
      GROUP BY provider_key ORDER BY provider_key`,
  );
  return rows;
}
