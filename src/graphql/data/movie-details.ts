import type pg from 'pg';
import { externalIdsForMovies as linksForMovies, movieIdByExternalId as movieIdByAnyExternalId } from '../../db/external-ids.js';
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

/** The id of the movie known by this id: a record's own, or one a record links to (MovieLens links.csv). */
export async function movieIdByExternalId(pool: pg.Pool, providerKey: string, externalId: string): Promise<string | null> {
  return movieIdByAnyExternalId(pool, providerKey, externalId);
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
  return linksForMovies(pool, ids);
}
