import type { ChangedRecords } from './record-changes.js';

/**
 * The id and correction steps of matching, on the changed records of a `ChangedRecords` value
 * (src/db/record-changes.ts, which creates its temp table), inside the caller's transaction:
 *
 * - corrections first: a record an admin rejected for a movie leaves it (even if the merge linked
 *   it by id); a record an admin confirmed or relinked goes to its movie (method `manual`) and no
 *   other step touches it;
 * - ids both ways: a TMDB id joins as an IMDb id does. A TMDB record without an IMDb id joins the
 *   movie of the record that links to its id (MovieLens links.csv), and a record that links to a
 *   TMDB id brings that TMDB record to its movie.
 */

/** SQL condition: the record `pr` is pinned by an admin. */
export const PINNED = `EXISTS (SELECT 1 FROM match_corrections mc
  WHERE mc.provider_key = pr.provider_key AND mc.external_id = pr.external_id AND mc.kind <> 'REJECT')`;

/** SQL condition: an admin rejected movie `movie` for the record `pr`. */
export const rejected = (movie: string) => `EXISTS (SELECT 1 FROM match_corrections mc
  WHERE mc.provider_key = pr.provider_key AND mc.external_id = pr.external_id AND mc.kind = 'REJECT' AND mc.movie_id = ${movie})`;

/** Changed records on a movie an admin rejected for them leave it. */
export async function dropRejectedLinks({ client }: ChangedRecords): Promise<void> {
  await client.query(
    `UPDATE provider_records pr
        SET movie_id = NULL, match_status = 'UNMATCHED', match_method = NULL, match_confidence = NULL,
            match_reason = 'rejected by an admin for its movie'
       FROM changed_records c
      WHERE c.id = pr.id AND pr.movie_id IS NOT NULL AND ${rejected('pr.movie_id')}`,
  );
}

/** Changed records an admin confirmed or relinked go to (or stay on) that movie. */
export async function applyPinnedMatches({ client }: ChangedRecords): Promise<void> {
  await client.query(
    `UPDATE provider_records pr
        SET movie_id = mc.movie_id, match_status = 'MATCHED', match_method = 'manual', match_confidence = 1,
            match_reason = CASE mc.kind WHEN 'CONFIRM' THEN 'confirmed by an admin' ELSE 'relinked by an admin' END
       FROM changed_records c, match_corrections mc
      WHERE c.id = pr.id AND mc.provider_key = pr.provider_key AND mc.external_id = pr.external_id AND mc.kind <> 'REJECT'
        AND (pr.movie_id IS DISTINCT FROM mc.movie_id OR pr.match_method IS DISTINCT FROM 'manual')`,
  );
}

/**
 * Records not yet decided by an id of their own that a changed record links to by TMDB id (or
 * that link to a changed TMDB record) join the changed set, so the id decides for them too.
 */
export async function addRecordsLinkedByTmdbId({ client }: ChangedRecords): Promise<void> {
  await client.query(
    `INSERT INTO changed_records (id, previous_movie_id)
     SELECT DISTINCT pr.id, pr.movie_id
       FROM changed_records c
       JOIN provider_records ch ON ch.id = c.id
       JOIN provider_records pr
         ON (ch.provider_key <> 'tmdb' AND ch.tmdb_id IS NOT NULL AND pr.provider_key = 'tmdb' AND pr.external_id = ch.tmdb_id)
         OR (ch.provider_key = 'tmdb' AND pr.tmdb_id = ch.external_id AND pr.provider_key <> 'tmdb')
      WHERE (pr.movie_id IS NULL OR pr.match_method IN ('title_year', 'created'))
        AND NOT ${PINNED}
     ON CONFLICT (id) DO NOTHING`,
  );
}

/**
 * The changed records without a movie after a first load (ChangedRecords.firstLoad): the catalogue
 * was empty, so every record is a changed one, and those it linked are linked by IMDb id (no title
 * or TMDB-id link exists yet): the records without a movie, found through the movie_id index
 * instead of joining every record with the changed ones (the real dump: 734k lookups for none).
 */
export const FIRST_LOAD_UNLINKED = 'pr.movie_id IS NULL';

/**
 * Changed records without a movie by IMDb id join, by TMDB id, the one movie another record of
 * that TMDB id is on. Several movies: nothing is decided here (title matching says why).
 */
export async function linkChangesByTmdbId({ client, firstLoad }: ChangedRecords): Promise<void> {
  await client.query(
    `WITH keys AS (
       SELECT pr.id, CASE WHEN pr.provider_key = 'tmdb' THEN pr.external_id ELSE pr.tmdb_id END AS tmdb, pr.provider_key, pr.external_id
         FROM provider_records pr
        ${firstLoad ? `WHERE ${FIRST_LOAD_UNLINKED}` : `JOIN changed_records c ON c.id = pr.id
        WHERE (pr.movie_id IS NULL OR pr.match_method IN ('title_year', 'created', 'tmdb_id'))`}
          AND NOT ${PINNED}
          AND (pr.imdb_id IS NULL OR NOT EXISTS (SELECT 1 FROM movies m WHERE m.imdb_id = pr.imdb_id))
     ), found AS (
       SELECT k.id, k.tmdb, (array_agg(DISTINCT o.movie_id))[1] AS movie_id, count(DISTINCT o.movie_id) AS movies
         FROM keys k
         JOIN provider_records o ON o.id <> k.id AND o.movie_id IS NOT NULL
          AND ((o.provider_key = 'tmdb' AND o.external_id = k.tmdb) OR (o.provider_key <> 'tmdb' AND o.tmdb_id = k.tmdb))
        WHERE k.tmdb IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM match_corrections mc
                           WHERE mc.provider_key = k.provider_key AND mc.external_id = k.external_id
                             AND mc.kind = 'REJECT' AND mc.movie_id = o.movie_id)
        GROUP BY k.id, k.tmdb
     )
     UPDATE provider_records pr
        SET movie_id = f.movie_id, match_status = 'MATCHED', match_method = 'tmdb_id', match_confidence = 1,
            match_reason = 'TMDB id ' || f.tmdb || ' is linked from another record of the movie'
       FROM found f
      WHERE f.id = pr.id AND f.movies = 1
        AND (pr.movie_id IS DISTINCT FROM f.movie_id OR pr.match_method IS DISTINCT FROM 'tmdb_id')`,
  );
}
