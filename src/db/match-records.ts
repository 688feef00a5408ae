import type pg from 'pg';
import type { TitleQuery } from '../matching/title-match.js';

/** A changed record that title matching decides, with what matching weighs. */
export type PendingTitleMatch = TitleQuery & { createsMovies: boolean };

/**
 * The records of the temp table `changed_records` that title matching decides: not linked by an
 * id and not pinned by an admin. Each comes with every id it carries or links to, its evidence
 * (runtime, directors, release date) and the movies an admin rejected for it.
 */
export async function recordsAwaitingTitleMatch(client: pg.PoolClient): Promise<PendingTitleMatch[]> {
  const { rows } = await client.query<PendingTitleMatch>(
    `SELECT pr.id::text AS "recordId", pr.title, pr.original_title AS "originalTitle", pr.year, p.creates_movies AS "createsMovies",
            pr.runtime_minutes AS "runtimeMinutes", pr.directors, to_char(pr.release_date, 'YYYY-MM-DD') AS "releaseDate",
            jsonb_build_array(jsonb_build_object('provider', pr.provider_key, 'id', pr.external_id))
              || CASE WHEN pr.imdb_id IS NOT NULL AND pr.provider_key <> 'imdb' THEN jsonb_build_array(jsonb_build_object('provider', 'imdb', 'id', pr.imdb_id)) ELSE '[]' END
              || CASE WHEN pr.tmdb_id IS NOT NULL AND pr.provider_key <> 'tmdb' THEN jsonb_build_array(jsonb_build_object('provider', 'tmdb', 'id', pr.tmdb_id)) ELSE '[]' END
              AS ids,
            coalesce((SELECT array_agg(mc.movie_id::text) FROM match_corrections mc
                       WHERE mc.provider_key = pr.provider_key AND mc.external_id = pr.external_id AND mc.kind = 'REJECT'), '{}') AS "rejectedMovieIds"
       FROM provider_records pr
       JOIN changed_records c ON c.id = pr.id
       JOIN providers p ON p.key = pr.provider_key
      WHERE (pr.movie_id IS NULL OR pr.match_method = 'title_year')
        AND (pr.imdb_id IS NULL OR NOT EXISTS (SELECT 1 FROM movies m WHERE m.imdb_id = pr.imdb_id))
        AND NOT EXISTS (SELECT 1 FROM match_corrections mc
                         WHERE mc.provider_key = pr.provider_key AND mc.external_id = pr.external_id AND mc.kind <> 'REJECT')`,
  );
  return rows;
}
