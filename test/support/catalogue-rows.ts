import type pg from 'pg';

/**
 * What the aggregation tests compare a catalogue by: every row aggregation writes (without the
 * columns that count writes, version and updated_at), and the structure a bulk path sets aside and
 * restores.
 */

/** Every curated and search row, ordered; with `deletes`, the words' one-letter-deleted variants too. */
export async function curatedRows(pool: pg.Pool, { deletes = false } = {}) {
  const rows = async (sql: string) => (await pool.query(sql)).rows as unknown[];
  return {
    movies: await rows(
      `SELECT id, imdb_id, title, original_title, year, release_date::text, runtime_minutes, overview, poster_url, is_adult,
              score_value, score_confidence, score_votes, score_provider_count, score_critics, score_audience,
              provenance, locks, aggregate_hash, links_hash
         FROM movies ORDER BY id`,
    ),
    titles: await rows('SELECT movie_id, provider_key, title, normalized, is_original, score FROM movie_titles ORDER BY movie_id, provider_key, title'),
    ratings: await rows(
      `SELECT movie_id, provider_key, kind, raw_value, raw_scale, normalized, calibrated, prior_mean, prior_votes, votes
         FROM ratings ORDER BY movie_id, provider_key, kind`,
    ),
    genres: await rows('SELECT movie_id, genre_id, confidence FROM movie_genres ORDER BY movie_id, genre_id'),
    search: await rows('SELECT movie_id, tokens, popularity, votes, score, year, genre_ids, providers FROM movie_search ORDER BY movie_id'),
    postings: await rows('SELECT movie_id, token, popularity, tokens, year FROM search_postings ORDER BY movie_id, token'),
    words: await rows('SELECT word, movies FROM search_words WHERE movies > 0 ORDER BY word'),
    ...(deletes ? { deletes: await rows('SELECT variant, word FROM search_word_deletes ORDER BY variant, word') } : {}),
  };
}

/** The indexes, constraints, triggers and storage options of the public schema. */
export async function catalogueStructure(pool: pg.Pool) {
  return {
    indexes: (await pool.query(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2`)).rows,
    constraints: (await pool.query(
      `SELECT conrelid::regclass::text AS tab, conname, pg_get_constraintdef(oid) AS def, convalidated FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`,
    )).rows,
    // The search index's refresh triggers are disabled for a bulk rebuild's transaction, and enabled again.
    triggers: (await pool.query(
      `SELECT tgrelid::regclass::text AS tab, tgname, tgenabled FROM pg_trigger
        WHERE NOT tgisinternal AND tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace) ORDER BY 1, 2`,
    )).rows,
    // A first load's movies pages are written with room for their first aggregation (db/bulk-load.ts); the table's own setting is kept.
    options: (await pool.query(`SELECT relname, reloptions FROM pg_class WHERE relnamespace = 'public'::regnamespace AND reloptions IS NOT NULL ORDER BY 1`)).rows,
  };
}
