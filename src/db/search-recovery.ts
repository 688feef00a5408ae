import type pg from 'pg';

/**
 * The postings and word counts of a first aggregation in bulk are written by a second transaction
 * that commits just after the catalogue's (db/aggregate-bulk.ts): the catalogue's transaction
 * inserts the row of search_postings_pending, the postings' transaction deletes it when it commits.
 * A row left there means that second commit never happened (a crash, or a failure, between the
 * two): movie_search is committed and current, but search_postings and search_words are not.
 *
 * The recovery rebuilds both from movie_search, whole: every posting from the search rows'
 * tokens, every word's count exact (zero for words no movie has), one-letter-deleted variants for
 * words seen for the first time, as moviec_search_refresh keeps them, and deletes the row, in
 * one transaction. It is idempotent and exact whatever happened meanwhile (a per-movie refresh of
 * some movies in the window adjusts counts from postings that were missing: the recount replaces
 * them). Run at every start-up (db/setup.ts) and before every bulk rebuild; without a row it is one
 * cheap read. While the rebuild that set the row is between its two commits, its postings'
 * transaction holds the tables: the recovery waits for it, then finds the row gone and does nothing.
 */
export async function recoverSearchPostings(pool: pg.Pool): Promise<boolean> {
  const { rows } = await pool.query<{ pending: boolean }>('SELECT EXISTS (SELECT 1 FROM search_postings_pending) AS pending');
  if (!rows[0]!.pending) return false;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // movie_search's writers (moviec_search_refresh) take it before the postings: the same order.
    await client.query('LOCK TABLE movie_search IN SHARE MODE');
    await client.query('LOCK TABLE search_postings, search_words IN ACCESS EXCLUSIVE MODE');
    const held = await client.query('DELETE FROM search_postings_pending RETURNING id');
    if (!held.rowCount) {
      // The rebuild's own second commit came first.
      await client.query('ROLLBACK');
      return false;
    }
    await client.query(REBUILD_POSTINGS_SQL);
    await client.query('COMMIT');
    return true;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const REBUILD_POSTINGS_SQL = `
  TRUNCATE search_postings;
  INSERT INTO search_postings (movie_id, token, popularity, tokens, year)
  SELECT s.movie_id, w, s.popularity, s.tokens, s.year FROM movie_search s, unnest(s.tokens) w;
  WITH counted AS (
    INSERT INTO search_words AS sw (word, movies)
    SELECT p.token, count(*)::int FROM search_postings p WHERE p.token NOT LIKE '=%' GROUP BY p.token ORDER BY p.token
    ON CONFLICT (word) DO UPDATE SET movies = excluded.movies WHERE sw.movies IS DISTINCT FROM excluded.movies
    RETURNING sw.word, (xmax = 0) AS inserted
  )
  INSERT INTO search_word_deletes (variant, word)
  SELECT DISTINCT overlay(c.word PLACING '' FROM i FOR 1), c.word
    FROM counted c, generate_series(1, length(c.word)) i
   WHERE c.inserted AND length(c.word) >= 4
  ON CONFLICT DO NOTHING;
  UPDATE search_words w SET movies = 0 WHERE w.movies <> 0 AND NOT EXISTS (SELECT 1 FROM search_postings p WHERE p.token = w.word);`;
