import type pg from 'pg';
import { MOVIE_LINKS } from './movie-links.js';

/**
 * The data side of title matching: which movies could a record be, and what is known about them
 * (every title, runtime, release date, directors, and every id their records carry or link to).
 * The decision itself is made in src/matching/title-match.ts.
 */

/**
 * Runs fn with pg_trgm's `%` threshold set to `threshold`, local to the caller's transaction, so
 * `%` finds only candidates that can matter, through the GIN index; the previous value is restored
 * afterwards.
 */
export async function withTrigramThreshold<T>(client: pg.PoolClient, threshold: number, fn: () => Promise<T>): Promise<T> {
  const { rows: [saved] } = await client.query<{ threshold: string }>(
    // (pg_trgm's GUC exists only once the library is loaded in the session: 0.3 is its default.)
    `SELECT coalesce(current_setting('pg_trgm.similarity_threshold', true), '0.3') AS threshold,
            set_config('pg_trgm.similarity_threshold', $1, true)`,
    [String(threshold)],
  );
  try {
    return await fn();
  } finally {
    await client.query(`SELECT set_config('pg_trgm.similarity_threshold', $1, true)`, [saved!.threshold]);
  }
}

/** One normalised title form of a record to look up. `prefix`: also movies whose title starts with it and a space. */
export interface CandidateLookup {
  record_id: string;
  norm: string;
  year: number;
  prefix: boolean;
}

export interface CandidateHit {
  record_id: string;
  movie_id: string;
}

/**
 * Candidate movies, set-based, within `yearSlack` years, in one statement (call inside
 * withTrigramThreshold):
 *
 * 1. Exact: a movie title equal to one of the record's title forms (btree on movie_titles.normalized);
 *    with `prefix`, also a movie title that begins with the form and a space (the same btree, as a
 *    range): a subtitle missing on the record's side (the decision wants the same year; the others
 *    show a series).
 * 2. Records with no exact candidate: trigram candidates through the GIN index (`%`), at least
 *    `minSimilarity`.
 */
export async function findCandidateMovies(
  client: pg.PoolClient,
  lookups: CandidateLookup[],
  yearSlack: number,
  minSimilarity: number,
): Promise<CandidateHit[]> {
  if (!lookups.length) return [];
  const { rows } = await client.query<CandidateHit>(
    `WITH q AS MATERIALIZED (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(record_id text, norm text, year int, prefix boolean)
     ), exact AS MATERIALIZED (
       SELECT q.record_id, mt.movie_id
         FROM q
         JOIN movie_titles mt ON mt.normalized COLLATE "C" = q.norm COLLATE "C"
         JOIN movies m ON m.id = mt.movie_id AND m.year BETWEEN q.year - $2 AND q.year + $2
       UNION
       SELECT q.record_id, mt.movie_id
         FROM q
         JOIN movie_titles mt ON mt.normalized COLLATE "C" > (q.norm || ' ') COLLATE "C"
                             AND mt.normalized COLLATE "C" < (q.norm || '!') COLLATE "C"
         JOIN movies m ON m.id = mt.movie_id AND m.year BETWEEN q.year - $2 AND q.year + $2
        WHERE q.prefix
     ), fuzzy AS MATERIALIZED (
       SELECT * FROM q WHERE NOT EXISTS (SELECT 1 FROM exact e WHERE e.record_id = q.record_id)
     )
     SELECT record_id, movie_id::text FROM exact
     UNION
     SELECT q.record_id, m.id::text
       FROM fuzzy q
       JOIN movie_titles mt ON mt.normalized % q.norm
       JOIN movies m ON m.id = mt.movie_id AND m.year BETWEEN q.year - $2 AND q.year + $2
      WHERE similarity(mt.normalized, q.norm) >= $3`,
    [JSON.stringify(lookups), yearSlack, minSimilarity],
  );
  return rows;
}

/** An id a movie's records carry or link to, and the record it comes from (null: the movie's own). */
export interface MovieLink {
  recordId: string | null;
  provider: string;
  id: string;
}

export interface CandidateMovie {
  movieId: string;
  title: string;
  year: number | null;
  runtimeMinutes: number | null;
  releaseDate: string | null;
  /** Every title of the movie: curated, original and each provider's. */
  titles: string[];
  /** Directors named by any of its records. */
  directors: string[];
  links: MovieLink[];
}

/** What is known about each movie, in one statement. */
export async function candidateMovies(client: pg.PoolClient, movieIds: string[]): Promise<Map<string, CandidateMovie>> {
  if (!movieIds.length) return new Map();
  const { rows } = await client.query<CandidateMovie>(
    `SELECT m.id::text AS "movieId", m.title, m.year, m.runtime_minutes AS "runtimeMinutes",
            to_char(m.release_date, 'YYYY-MM-DD') AS "releaseDate",
            array_remove(ARRAY[m.title, m.original_title] || coalesce(
              (SELECT array_agg(DISTINCT mt.title) FROM movie_titles mt WHERE mt.movie_id = m.id), '{}'), NULL) AS titles,
            coalesce((SELECT array_agg(DISTINCT d) FROM provider_records pr, unnest(pr.directors) d WHERE pr.movie_id = m.id), '{}') AS directors,
            coalesce((SELECT jsonb_agg(jsonb_build_object('recordId', l.record_id::text, 'provider', l.provider, 'id', l.id))
                        FROM ${MOVIE_LINKS} l WHERE l.movie_id = m.id), '[]') AS links
       FROM movies m WHERE m.id = ANY($1::uuid[])`,
    [movieIds],
  );
  return new Map(rows.map((r) => [r.movieId, r]));
}
