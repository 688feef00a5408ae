import type pg from 'pg';
import type { ProviderDefinition } from '../sources/types.js';

export interface MergeResult {
  /** Provider records inserted or whose content changed. */
  rowsChanged: number;
  /** External ids that appeared more than once in the input (the last row wins). */
  duplicates: { externalId: string; keptLine: number | null; count: number }[];
}

/**
 * Merges a run's staging rows into provider_records, inside the caller's transaction. Rows are
 * compared by content hash: only new or changed rows are written (and land in the temp table
 * `changed_records` with the movie they belonged to before), unchanged ones only get last_seen_at.
 */
export async function mergeStagedRun(client: pg.PoolClient, runId: string, provider: ProviderDefinition): Promise<MergeResult> {
  const primaryKind = Object.keys(provider.ratingScales)[0] ?? 'users';

  const { rows: duplicates } = await client.query<{ externalId: string; keptLine: number | null; count: number }>(
    `SELECT external_id AS "externalId", (array_agg(line ORDER BY id DESC))[1] AS "keptLine", count(*)::int AS count
       FROM import_staging_records WHERE run_id = $1
      GROUP BY external_id HAVING count(*) > 1`,
    [runId],
  );

  // Fresh statistics first: staging tables just grew by the whole input, and with the stale ones
  // the planner can pick a nested loop over the ratings aggregate (seen: MovieLens at 1M, minutes).
  await client.query('ANALYZE import_staging_records, import_staging_ratings');
  await client.query(
    `CREATE TEMP TABLE incoming ON COMMIT DROP AS
     WITH latest AS (
       SELECT DISTINCT ON (external_id) external_id, record
         FROM import_staging_records WHERE run_id = $1
        ORDER BY external_id, id DESC
     ), separate_ratings AS (
       SELECT external_id,
              jsonb_agg(jsonb_build_object('kind', kind, 'value', value, 'votes', votes) ORDER BY kind) AS ratings
         FROM (SELECT DISTINCT ON (external_id, kind) external_id, kind, value, votes
                 FROM import_staging_ratings WHERE run_id = $1
                ORDER BY external_id, kind, id DESC) r
        GROUP BY external_id
     )
     SELECT l.external_id, x.title, x.original_title, x.year, x.release_date::date AS release_date,
            x.runtime_minutes, coalesce(x.genres, '{}') AS genres,
            coalesce(sr.ratings, x.ratings, '[]'::jsonb) AS ratings,
            x.imdb_id, x.tmdb_id, coalesce(x.directors, '{}') AS directors, x.overview, x.poster_url, coalesce(x.is_adult, false) AS is_adult, x.payload,
            md5(l.record::text || coalesce(sr.ratings::text, '')) AS content_hash
       FROM latest l
       CROSS JOIN LATERAL jsonb_to_record(l.record) AS x(
         title text, original_title text, year int, release_date text, runtime_minutes int, genres text[],
         ratings jsonb, imdb_id text, tmdb_id text, directors text[], overview text, poster_url text, is_adult boolean, payload jsonb)
       LEFT JOIN separate_ratings sr ON sr.external_id = l.external_id`,
    [runId],
  );

  await client.query('ANALYZE incoming'); // temp tables are never analysed by autovacuum

  // A provider that creates movies creates them for its new or changed id-bearing rows before the
  // rows are written, so each row is written once, already linked by its id (matchChangedRecords
  // then has nothing left to do for them) instead of written and then updated with its movie.
  await client.query(
    `INSERT INTO movies (imdb_id, title, year)
     SELECT DISTINCT ON (i.imdb_id) i.imdb_id, coalesce(i.title, i.imdb_id), i.year
       FROM incoming i
       JOIN providers p ON p.key = $1 AND p.creates_movies
      WHERE i.imdb_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM movies m WHERE m.imdb_id = i.imdb_id)
        AND NOT EXISTS (SELECT 1 FROM provider_records pr
                         WHERE pr.provider_key = $1 AND pr.external_id = i.external_id AND pr.content_hash = i.content_hash)
      ORDER BY i.imdb_id
     ON CONFLICT (imdb_id) DO NOTHING`,
    [provider.key],
  );

  await client.query(`CREATE TEMP TABLE changed_records (id bigint PRIMARY KEY, previous_movie_id uuid) ON COMMIT DROP`);
  const { rowCount } = await client.query(
    `WITH previous AS (
       SELECT pr.id, pr.external_id, pr.movie_id FROM provider_records pr
        WHERE pr.provider_key = $2 AND pr.external_id IN (SELECT external_id FROM incoming)
     ), upserted AS (
       INSERT INTO provider_records AS pr (
         provider_key, external_id, title, original_title, year, release_date, runtime_minutes, genres,
         rating, votes, ratings, imdb_id, tmdb_id, directors, overview, poster_url, is_adult, payload, content_hash, last_run_id,
         movie_id, match_status, match_method, match_confidence)
       SELECT $2, i.external_id, i.title, i.original_title, i.year, i.release_date, i.runtime_minutes, i.genres,
              (primary_rating->>'value')::float8, (primary_rating->>'votes')::int, i.ratings,
              i.imdb_id, i.tmdb_id, i.directors, i.overview, i.poster_url, i.is_adult, i.payload, i.content_hash, $1,
              m.id, CASE WHEN m.id IS NULL THEN 'PENDING' ELSE 'MATCHED' END::"MatchStatus",
              CASE WHEN m.id IS NOT NULL THEN 'imdb_id' END, CASE WHEN m.id IS NOT NULL THEN 1 END
         FROM incoming i
         LEFT JOIN movies m ON m.imdb_id = i.imdb_id
         LEFT JOIN LATERAL (SELECT r FROM jsonb_array_elements(i.ratings) r WHERE r->>'kind' = $3 LIMIT 1) p(primary_rating) ON true
       ON CONFLICT (provider_key, external_id) DO UPDATE SET
         title = excluded.title, original_title = excluded.original_title, year = excluded.year,
         release_date = excluded.release_date, runtime_minutes = excluded.runtime_minutes, genres = excluded.genres,
         rating = excluded.rating, votes = excluded.votes, ratings = excluded.ratings, imdb_id = excluded.imdb_id,
         tmdb_id = excluded.tmdb_id, directors = excluded.directors, overview = excluded.overview, poster_url = excluded.poster_url,
         is_adult = excluded.is_adult, payload = excluded.payload, content_hash = excluded.content_hash,
         last_run_id = excluded.last_run_id, last_seen_at = now(), changed_at = now(),
         -- Linked by its IMDb id: as matchChangedRecords would; otherwise matching decides.
         movie_id = coalesce(excluded.movie_id, pr.movie_id),
         match_status = CASE WHEN excluded.movie_id IS NULL THEN pr.match_status ELSE excluded.match_status END,
         match_method = CASE WHEN excluded.movie_id IS NULL THEN pr.match_method ELSE excluded.match_method END,
         match_confidence = CASE WHEN excluded.movie_id IS NULL THEN pr.match_confidence ELSE excluded.match_confidence END,
         match_reason = CASE WHEN excluded.movie_id IS NULL THEN pr.match_reason END
       WHERE pr.content_hash IS DISTINCT FROM excluded.content_hash
       RETURNING pr.id, pr.external_id
     )
     INSERT INTO changed_records (id, previous_movie_id)
     SELECT u.id, p.movie_id FROM upserted u LEFT JOIN previous p ON p.external_id = u.external_id`,
    [runId, provider.key, primaryKind],
  );

  await client.query(
    `UPDATE provider_records pr SET last_seen_at = now(), last_run_id = $1
       FROM incoming i
      WHERE pr.provider_key = $2 AND pr.external_id = i.external_id
        AND NOT EXISTS (SELECT 1 FROM changed_records c WHERE c.id = pr.id)`,
    [runId, provider.key],
  );

  return { rowsChanged: rowCount ?? 0, duplicates };
}
