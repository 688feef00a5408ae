import type pg from 'pg';
import type { ProviderDefinition } from '../sources/types.js';

/**
 * Matches the records listed in the temp table `changed_records` to curated movies, inside the
 * caller's transaction, and returns every movie whose aggregate may have changed (the record's
 * movie now and the one it belonged to before).
 *
 * Shared ids first: a record carrying an IMDb tconst belongs to the movie with that tconst; an
 * id-bearing provider creates the movie when none exists yet. Records that cannot be matched stay
 * UNMATCHED with the reason.
 */
export async function matchChangedRecords(client: pg.PoolClient, provider: ProviderDefinition): Promise<string[]> {
  if (provider.createsMovies) {
    await client.query(
      `INSERT INTO movies (imdb_id, title, year)
       SELECT DISTINCT ON (pr.imdb_id) pr.imdb_id, coalesce(pr.title, pr.imdb_id), pr.year
         FROM provider_records pr JOIN changed_records c ON c.id = pr.id
        WHERE pr.imdb_id IS NOT NULL
        ORDER BY pr.imdb_id
       ON CONFLICT (imdb_id) DO NOTHING`,
    );
  }
  await client.query(
    `UPDATE provider_records pr
        SET movie_id = m.id, match_status = 'MATCHED', match_method = 'imdb_id', match_confidence = 1, match_reason = NULL
       FROM changed_records c, movies m
      WHERE c.id = pr.id AND m.imdb_id = pr.imdb_id`,
  );
  await client.query(
    `UPDATE provider_records pr
        SET movie_id = NULL, match_status = 'UNMATCHED', match_method = NULL, match_confidence = NULL,
            match_reason = CASE WHEN pr.imdb_id IS NULL THEN 'no IMDb id and no title match'
                                ELSE 'no movie has this IMDb id yet' END
       FROM changed_records c
      WHERE c.id = pr.id AND pr.match_status <> 'MATCHED'
        AND NOT EXISTS (SELECT 1 FROM movies m WHERE m.imdb_id = pr.imdb_id)`,
  );
  const { rows } = await client.query<{ movie_id: string }>(
    `SELECT pr.movie_id FROM provider_records pr JOIN changed_records c ON c.id = pr.id WHERE pr.movie_id IS NOT NULL
     UNION
     SELECT previous_movie_id FROM changed_records WHERE previous_movie_id IS NOT NULL`,
  );
  return rows.map((r) => r.movie_id);
}
