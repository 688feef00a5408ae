import type pg from 'pg';
import { MOVIE_LINKS } from './movie-links.js';

/** How a link was made, as the API shows it. */
export type MatchMethod = 'ID' | 'TITLE' | 'MANUAL';

/** One id a movie is known by, with how its record joined the movie. */
export interface MovieExternalId {
  movieId: string;
  providerKey: string;
  externalId: string;
  method: MatchMethod;
  confidence: number;
  /** ISO timestamp; null for a tconst only the movie itself holds. */
  matchedAt: string | null;
  /** The record's stored reason (what decided), when it has one. */
  reason: string | null;
}

/** provider_records.match_method → MatchMethod (imdb_id, tmdb_id and created are ids). */
const METHOD = `CASE pr.match_method WHEN 'title_year' THEN 'TITLE' WHEN 'manual' THEN 'MANUAL' ELSE 'ID' END`;

/**
 * Every id of each movie: its records' own ids and the ids they link to (a MovieLens row's IMDb
 * and TMDB ids), once each — a record of that provider first, else the link with the strongest
 * method. Learned ids carry the linking record's method, confidence and time.
 */
export async function externalIdsForMovies(db: pg.Pool | pg.PoolClient, ids: readonly string[]): Promise<MovieExternalId[]> {
  const { rows } = await db.query<MovieExternalId>(
    `SELECT "movieId", "providerKey", "externalId", method, confidence, "matchedAt", reason FROM (
       SELECT DISTINCT ON (l.movie_id, l.provider, l.id)
              l.movie_id::text AS "movieId", l.provider AS "providerKey", l.id AS "externalId",
              coalesce(${METHOD}, 'ID') AS method, coalesce(pr.match_confidence, 1)::float8 AS confidence,
              to_char(pr.matched_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "matchedAt",
              pr.match_reason AS reason
         FROM ${MOVIE_LINKS} l
         LEFT JOIN provider_records pr ON pr.id = l.record_id
        WHERE l.movie_id = ANY($1::uuid[])
        ORDER BY l.movie_id, l.provider, l.id, l.linked, (pr.match_method = 'title_year'), pr.id
     ) x
     ORDER BY "movieId", "providerKey", "externalId"`,
    [ids],
  );
  return rows;
}

/** The movie known by this id: a record's own id, or an id a record links to (null when none). */
export async function movieIdByExternalId(db: pg.Pool | pg.PoolClient, providerKey: string, externalId: string): Promise<string | null> {
  const { rows } = await db.query<{ movie_id: string }>(
    `SELECT l.movie_id::text AS movie_id FROM ${MOVIE_LINKS} l
      WHERE l.provider = $1 AND l.id = $2
      ORDER BY l.linked, l.record_id LIMIT 1`,
    [providerKey, externalId],
  );
  return rows[0]?.movie_id ?? null;
}
