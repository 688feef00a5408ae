/**
 * Every id a movie is known by: each of its records' own ids, and the ids those records link to
 * (an IMDb tconst a TMDB record carries, the IMDb and TMDB ids of a MovieLens `links.csv` row),
 * and the movie's own tconst. One SQL expression, used by matching (ids are evidence both ways),
 * by `externalIds` and by `movieByExternalId`.
 *
 * Columns: movie_id, record_id (null for the movie's own tconst), provider, id, linked (true when
 * the id is one the record links to rather than its own).
 */
export const MOVIE_LINKS = `(
  SELECT pr.movie_id, pr.id AS record_id, pr.provider_key AS provider, pr.external_id AS id, false AS linked
    FROM provider_records pr WHERE pr.movie_id IS NOT NULL
  UNION ALL
  SELECT pr.movie_id, pr.id, 'imdb', pr.imdb_id, true
    FROM provider_records pr WHERE pr.movie_id IS NOT NULL AND pr.imdb_id IS NOT NULL AND pr.provider_key <> 'imdb'
  UNION ALL
  SELECT pr.movie_id, pr.id, 'tmdb', pr.tmdb_id, true
    FROM provider_records pr WHERE pr.movie_id IS NOT NULL AND pr.tmdb_id IS NOT NULL AND pr.provider_key <> 'tmdb'
  UNION ALL
  SELECT m.id, NULL, 'imdb', m.imdb_id, true FROM movies m WHERE m.imdb_id IS NOT NULL
)`;
