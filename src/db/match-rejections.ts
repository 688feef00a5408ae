import type pg from 'pg';

/** A provider record an admin took off a movie (rejectMatch): it never returns to it. */
export interface RejectedMatchRecord {
  movieId: string;
  providerKey: string;
  externalId: string;
  /** ISO timestamp. */
  rejectedAt: string;
}

export async function rejectionsForMovie(db: pg.Pool | pg.PoolClient, movieId: string): Promise<RejectedMatchRecord[]> {
  const { rows } = await db.query<RejectedMatchRecord>(
    `SELECT movie_id::text AS "movieId", provider_key AS "providerKey", external_id AS "externalId",
            to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "rejectedAt"
       FROM match_corrections WHERE movie_id = $1::uuid AND kind = 'REJECT'
      ORDER BY provider_key, external_id`,
    [movieId],
  );
  return rows;
}
