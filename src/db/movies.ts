import type pg from 'pg';
import { externalIdsForMovies as linksForMovies, movieIdByExternalId as movieIdByAnyExternalId } from './external-ids.js';
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

const GENRES_OF_MOVIE = `coalesce((SELECT json_agg(json_build_object('name', g.name, 'confidence', mg.confidence) ORDER BY mg.confidence DESC, g.name)
                              FROM movie_genres mg JOIN genres g ON g.id = mg.genre_id
                             WHERE mg.movie_id = m.id), '[]'::json) AS genres`;

/**
 * Movies with every genre of each (as genresForMovies gives them), in one statement: what a movie
 * answer needs most often, in one round trip. Named statements, prepared once per connection.
 * PostgreSQL plans `id = ANY($1)` again on every execution (its generic plan, costed for an array of
 * unknown length, never beats a custom one; 0.18 ms of planning against 0.05 of execution), so
 * one id has a statement of its own (`id = $1`) and a few ids one of a fixed number of parameters
 * (`id IN ($1, …, $n)`, n a power of two, the list padded with its first id): each keeps its generic
 * plan. The process-wide batch of computed answers' movie reads (services/movie-loaders.ts) sends
 * these several ids at a time.
 */
export async function moviesWithGenresByIds(pool: pg.Pool, ids: readonly string[]): Promise<{ movie: MovieRecord; genres: MovieGenreRecord[] }[]> {
  const { rows } = await pool.query<MovieRow & { genres: { name: string; confidence: number }[] }>(moviesWithGenresStatement(ids));
  return rows.map(({ genres, ...row }) => ({ movie: toMovieRecord(row), genres: genres.map(({ name, confidence }) => ({ movieId: row.id, name, confidence })) }));
}

/** Above this many ids, one `ANY($1)` statement (planned on every execution) instead of a fixed-arity one. */
export const MAX_FIXED_ARITY_IDS = 64;

function moviesWithGenresStatement(ids: readonly string[]): pg.QueryConfig {
  const select = `SELECT ${MOVIE_COLUMNS}, ${GENRES_OF_MOVIE} FROM movies m`;
  if (ids.length === 1) return { name: 'moviec_movie_with_genres', text: `${select} WHERE m.id = $1::uuid`, values: [ids[0]] };
  if (ids.length > MAX_FIXED_ARITY_IDS) return { name: 'moviec_movies_with_genres', text: `${select} WHERE m.id = ANY($1::uuid[])`, values: [ids] };
  let arity = 2;
  while (arity < ids.length) arity *= 2;
  const values = Array.from({ length: arity }, (_, i) => ids[i] ?? ids[0]);
  const params = values.map((_, i) => `$${i + 1}::uuid`).join(', ');
  return { name: `moviec_movies_with_genres_${arity}`, text: `${select} WHERE m.id IN (${params})`, values };
}

/** The id of the movie known by this id: a record's own, or one a record links to (MovieLens links.csv). */
export async function movieIdByExternalId(pool: pg.Pool, providerKey: string, externalId: string): Promise<string | null> {
  return movieIdByAnyExternalId(pool, providerKey, externalId);
}

/**
 * Ratings with what explains them (calibrated value, prior) and their freshness: fetchedAt is when
 * MovieC last read any record of that provider for the movie (an import stamps each changed row it
 * reads, a partial one every row; a full snapshot dates all the records it did not withdraw at
 * once, providers.snapshot_seen_at);
 * sourceUpdatedAt the newest date the provider gives for that rating kind on those records
 * (provider_records.ratings[].sourceUpdatedAt), null when it gives none.
 */
export async function ratingsForMovies(pool: pg.Pool, ids: readonly string[]): Promise<RatingRecord[]> {
  const { rows } = await pool.query<RatingRecord>(
    `SELECT r.movie_id AS "movieId", r.provider_key AS "providerKey", r.kind, r.raw_value AS "rawValue",
            r.raw_scale AS "rawScale", r.normalized, r.calibrated, r.prior_mean AS "priorMean",
            r.prior_votes AS "priorVotes", r.votes,
            to_char(seen.fetched_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "fetchedAt",
            to_char(seen.source_updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "sourceUpdatedAt"
       FROM ratings r
       LEFT JOIN LATERAL (SELECT max(CASE WHEN pr.withdrawn_at IS NULL THEN greatest(pr.last_seen_at, p.snapshot_seen_at)
                                          ELSE pr.last_seen_at END) AS fetched_at,
                                 max(dated.at) AS source_updated_at
                            FROM provider_records pr
                            JOIN providers p ON p.key = pr.provider_key
                            LEFT JOIN LATERAL (SELECT max((e->>'sourceUpdatedAt')::timestamptz) AS at
                                                 FROM jsonb_array_elements(pr.ratings) e
                                                WHERE e->>'kind' = r.kind AND e ? 'sourceUpdatedAt') dated ON true
                           WHERE pr.movie_id = r.movie_id AND pr.provider_key = r.provider_key) seen ON true
      WHERE r.movie_id = ANY($1::uuid[])
      ORDER BY r.provider_key, r.kind`,
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

/**
 * Whether the movie exists. `lock`: inside a transaction, keeps it from being deleted (or merged
 * away) until the transaction ends (FOR KEY SHARE), for a write that will point at it.
 */
export async function movieExists(db: pg.Pool | pg.PoolClient, movieId: string, options: { lock?: boolean } = {}): Promise<boolean> {
  const { rowCount } = await db.query(`SELECT 1 FROM movies WHERE id = $1::uuid${options.lock ? ' FOR KEY SHARE' : ''}`, [movieId]);
  return !!rowCount;
}

/** Sets (value) or clears (null) an admin lock on a curated field; false when there is no such movie. */
export async function writeFieldLock(pool: pg.Pool, movieId: string, field: string, value: string | number | null): Promise<boolean> {
  const { rowCount } = await pool.query(
    value === null
      ? `UPDATE movies SET locks = locks - $2::text WHERE id = $1::uuid`
      : `UPDATE movies SET locks = locks || jsonb_build_object($2::text, $3::jsonb) WHERE id = $1::uuid`,
    value === null ? [movieId, field] : [movieId, field, JSON.stringify(value)],
  );
  return !!rowCount;
}

/** The movie's TMDB ids: its TMDB records, and the TMDB ids other providers' records link to. */
export async function tmdbIdsOf(pool: pg.Pool, movieId: string): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT DISTINCT id FROM (
       SELECT CASE WHEN provider_key = 'tmdb' THEN external_id ELSE tmdb_id END AS id
         FROM provider_records WHERE movie_id = $1::uuid) ids
      WHERE id ~ '^[0-9]+$'
      ORDER BY id`,
    [movieId],
  );
  return rows.map((r) => r.id);
}

/** Per-field provenance and the provider poster URL of a movie (the website's extras); null when there is none. */
export async function provenanceAndPoster(
  pool: pg.Pool,
  movieId: string,
): Promise<{ provenance: Record<string, string> | null; poster_url: string | null } | null> {
  const { rows } = await pool.query<{ provenance: Record<string, string> | null; poster_url: string | null }>(
    'SELECT provenance, poster_url FROM movies WHERE id = $1',
    [movieId],
  );
  return rows[0] ?? null;
}

/** Movies with an http(s) poster, after `after` in id order, `limit` at a time (the poster mirror). */
export async function moviesWithPosters(pool: pg.Pool, after: string, limit: number): Promise<{ id: string; posterUrl: string }[]> {
  const { rows } = await pool.query<{ id: string; posterUrl: string }>(
    `SELECT id, poster_url AS "posterUrl" FROM movies
      WHERE id > $1 AND poster_url ~* '^https?://' ORDER BY id LIMIT $2`,
    [after, limit],
  );
  return rows;
}
