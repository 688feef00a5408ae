import type pg from 'pg';
import {
  MOVIE_COLUMNS,
  toMovieRecord,
  type ExternalIdRecord,
  type MovieGenreRecord,
  type MovieRecord,
  type MovieRow,
  type RatingRecord,
  type TitleRecord,
} from './records.js';

/**
 * One statement per call, for any number of movies: the batch functions behind the per-request
 * DataLoaders. Ids must be uuids (callers validate).
 */

export async function moviesByIds(pool: pg.Pool, ids: readonly string[]): Promise<MovieRecord[]> {
  const { rows } = await pool.query<MovieRow>(`SELECT ${MOVIE_COLUMNS} FROM movies m WHERE m.id = ANY($1::uuid[])`, [ids]);
  return rows.map(toMovieRecord);
}

/** The id of the movie a provider's record with this external id was matched to. */
export async function movieIdByExternalId(pool: pg.Pool, providerKey: string, externalId: string): Promise<string | null> {
  // IMDb tconsts are also kept on the movie itself (set by aggregation), so either path finds it.
  const { rows } = await pool.query<{ id: string }>(
    `SELECT m.id FROM movies m
      WHERE m.id = (SELECT pr.movie_id FROM provider_records pr
                     WHERE pr.provider_key = $1 AND pr.external_id = $2 AND pr.movie_id IS NOT NULL)
         OR ($1 = 'imdb' AND m.imdb_id = $2)
      LIMIT 1`,
    [providerKey, externalId],
  );
  return rows[0]?.id ?? null;
}

export async function ratingsForMovies(pool: pg.Pool, ids: readonly string[]): Promise<RatingRecord[]> {
  const { rows } = await pool.query<RatingRecord>(
    `SELECT movie_id AS "movieId", provider_key AS "providerKey", kind, raw_value AS "rawValue",
            raw_scale AS "rawScale", normalized, votes
       FROM ratings WHERE movie_id = ANY($1::uuid[])
      ORDER BY provider_key, kind`,
    [ids],
  );
  return rows;
}

export async function titlesForMovies(pool: pg.Pool, ids: readonly string[]): Promise<TitleRecord[]> {
  const { rows } = await pool.query<TitleRecord>(
    `SELECT movie_id AS "movieId", provider_key AS "providerKey", title, score
       FROM movie_titles WHERE movie_id = ANY($1::uuid[])
      ORDER BY score DESC, provider_key, title`,
    [ids],
  );
  return rows;
}

export async function genresForMovies(pool: pg.Pool, ids: readonly string[]): Promise<MovieGenreRecord[]> {
  const { rows } = await pool.query<MovieGenreRecord>(
    `SELECT mg.movie_id AS "movieId", g.name, mg.confidence
       FROM movie_genres mg JOIN genres g ON g.id = mg.genre_id
      WHERE mg.movie_id = ANY($1::uuid[])
      ORDER BY mg.confidence DESC, g.name`,
    [ids],
  );
  return rows;
}

export async function externalIdsForMovies(pool: pg.Pool, ids: readonly string[]): Promise<ExternalIdRecord[]> {
  const { rows } = await pool.query<ExternalIdRecord>(
    `SELECT movie_id AS "movieId", provider_key AS "providerKey", external_id AS "externalId"
       FROM provider_records WHERE movie_id = ANY($1::uuid[])
      ORDER BY provider_key, external_id`,
    [ids],
  );
  return rows;
}
