-- Posting lists of title words in popularity order (issue 16 point 6), and exact word counts.
--
-- A search wants the most popular movies having every typed word (or one of its alternatives). It
-- read them either from the 20,000 most popular movies (a covering index over all movies, 28
-- entries to a page: ~700 pages when the words are not common) or, for rarer combinations, every
-- match through the GIN index and one heap page per match ("Ingrid and" at 1M movies: 5,168
-- matches, 4,683 pages, 15-40 ms). search_postings holds one row per (word, movie) with the
-- movie's popularity, tokens and year, indexed by (token, popularity DESC, movie_id DESC) with the
-- tokens and year in the index: the most popular movies having the rarest typed word are read in
-- order from the index alone, each checked for the other words on the included tokens, and the
-- scan stops when enough match (~60 entries to a page: "Ingrid and" reads ~150 entries, 3 pages).
--
-- moviec_search_refresh keeps it current, set-based, in the same call as before (same signature
-- and meaning): it rewrites the postings of only those movies whose search row changed (nothing
-- for an unchanged movie), and adjusts search_words.movies by the words those movies gained or lost (the counts
-- were 1 for every word a trigger added, so prefix completions came in alphabetical order rather
-- than by how many movies have the word).

CREATE TABLE "search_postings" (
  "movie_id"   UUID NOT NULL,
  -- A title word (no "=" whole-title tokens: those are looked up through movie_search's GIN index).
  "token"      TEXT COLLATE "C" NOT NULL,
  -- movie_search's popularity, tokens and year of the movie, copied so that the index answers alone.
  "popularity" DOUBLE PRECISION NOT NULL,
  "tokens"     TEXT[] NOT NULL,
  "year"       INTEGER,
  PRIMARY KEY ("movie_id", "token")
);

INSERT INTO search_postings (movie_id, token, popularity, tokens, year)
SELECT s.movie_id, w, s.popularity, s.tokens, s.year
  FROM movie_search s, unnest(s.tokens) w
 WHERE w NOT LIKE '=%'
 ORDER BY w, s.popularity DESC, s.movie_id DESC;

CREATE INDEX "search_postings_order_idx" ON "search_postings" ("token", "popularity" DESC, "movie_id" DESC) INCLUDE ("tokens", "year");
-- Rewritten rows of popular movies must not cost the index-only scans heap fetches for long.
ALTER TABLE "search_postings" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.05);

-- Exact counts: movies having each word.
INSERT INTO search_words (word, movies)
SELECT p.token, count(*) FROM search_postings p GROUP BY p.token
ON CONFLICT (word) DO UPDATE SET movies = excluded.movies WHERE search_words.movies IS DISTINCT FROM excluded.movies;
UPDATE search_words w SET movies = 0 WHERE NOT EXISTS (SELECT 1 FROM search_postings p WHERE p.token = w.word) AND w.movies <> 0;
INSERT INTO search_word_deletes (variant, word)
SELECT DISTINCT overlay(sw.word PLACING '' FROM i FOR 1), sw.word
  FROM search_words sw, generate_series(1, length(sw.word)) i
 WHERE length(sw.word) >= 4
ON CONFLICT DO NOTHING;

-- The popularity window of all movies is no longer read: the postings replace it.
DROP INDEX "movie_search_popularity_idx";

-- Recomputes the search rows of these movies from the curated tables, their postings where their
-- tokens, popularity or year changed, and the dictionary's counts of the words they gained or lost.
CREATE OR REPLACE FUNCTION "moviec_search_refresh"(ids UUID[]) RETURNS VOID
LANGUAGE plpgsql AS $$
DECLARE
  moved UUID[];
  gone TEXT[];
BEGIN
  -- The search rows, rewritten where they changed; the movies among them are those whose postings
  -- are rewritten (tokens, popularity or year changed, or rarely only genres or providers).
  WITH up AS (
    INSERT INTO movie_search AS s (movie_id, tokens, popularity, votes, score, year, genre_ids, providers)
    SELECT m.id,
           coalesce((SELECT array_agg(DISTINCT tok ORDER BY tok)
                       FROM (SELECT t.normalized FROM movie_titles t WHERE t.movie_id = m.id
                             UNION SELECT moviec_search_text(m.title) WHERE m.locks ? 'title') n,
                            unnest(moviec_search_tokens(n.normalized)) tok), '{}'),
           log(1 + greatest(coalesce(m.score_votes, 0), 0)) + coalesce(m.score_value, 0) / 500,
           m.score_votes, m.score_value, m.year,
           coalesce((SELECT array_agg(g.genre_id ORDER BY g.genre_id) FROM movie_genres g
                      WHERE g.movie_id = m.id AND g.confidence >= 0.5), '{}'),
           coalesce((SELECT array_agg(DISTINCT t.provider_key ORDER BY t.provider_key) FROM movie_titles t
                      WHERE t.movie_id = m.id), '{}')
      FROM movies m
     WHERE m.id = ANY(ids)
     ORDER BY m.id
    ON CONFLICT (movie_id) DO UPDATE
       SET tokens = excluded.tokens, popularity = excluded.popularity, votes = excluded.votes, score = excluded.score,
           year = excluded.year, genre_ids = excluded.genre_ids, providers = excluded.providers
     WHERE (s.tokens, s.popularity, s.votes, s.score, s.year, s.genre_ids, s.providers)
           IS DISTINCT FROM (excluded.tokens, excluded.popularity, excluded.votes, excluded.score, excluded.year, excluded.genre_ids, excluded.providers)
    RETURNING s.movie_id
  )
  SELECT coalesce(array_agg(up.movie_id ORDER BY up.movie_id), '{}') INTO moved FROM up;

  IF cardinality(moved) = 0 THEN RETURN; END IF;

  -- A statement of its own: it sees postings a concurrent refresh of the same movie committed.
  WITH d AS (DELETE FROM search_postings p WHERE p.movie_id = ANY(moved) RETURNING p.token)
  SELECT coalesce(array_agg(d.token), '{}') INTO gone FROM d;

  -- New postings, then the counts of the words gained or lost (new words in a fixed order, so
  -- concurrent refreshes lock them in the same order), then the deletions of new words.
  WITH added AS (
    INSERT INTO search_postings (movie_id, token, popularity, tokens, year)
    SELECT s.movie_id, w, s.popularity, s.tokens, s.year
      FROM movie_search s, unnest(s.tokens) w
     WHERE s.movie_id = ANY(moved) AND w NOT LIKE '=%'
    RETURNING token
  ), delta AS (
    SELECT x.w, sum(x.n)::int AS n
      FROM (SELECT a.token AS w, 1 AS n FROM added a UNION ALL SELECT g, -1 FROM unnest(gone) g) x
     GROUP BY x.w HAVING sum(x.n) <> 0
  ), counted AS (
    INSERT INTO search_words AS sw (word, movies)
    SELECT delta.w, delta.n FROM delta ORDER BY delta.w
    ON CONFLICT (word) DO UPDATE SET movies = greatest(sw.movies + excluded.movies, 0)
    RETURNING sw.word, (xmax = 0) AS inserted
  )
  INSERT INTO search_word_deletes (variant, word)
  SELECT DISTINCT overlay(c.word PLACING '' FROM i FOR 1), c.word
    FROM counted c, generate_series(1, length(c.word)) i
   WHERE c.inserted AND length(c.word) >= 4
  ON CONFLICT DO NOTHING;
END
$$;

-- A deleted movie (its search row goes with it) loses its postings and its words' counts.
CREATE FUNCTION "moviec_search_postings_delete"() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
  WITH d AS (
    DELETE FROM search_postings p USING old_rows o WHERE p.movie_id = o.movie_id RETURNING p.token
  ), lost AS (
    SELECT d.token AS w, count(*)::int AS n FROM d GROUP BY d.token
  )
  INSERT INTO search_words AS sw (word, movies)
  SELECT lost.w, -lost.n FROM lost ORDER BY lost.w
  ON CONFLICT (word) DO UPDATE SET movies = greatest(sw.movies + excluded.movies, 0);
  RETURN NULL;
END
$$;
CREATE TRIGGER "movie_search_postings_delete" AFTER DELETE ON "movie_search"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION moviec_search_postings_delete();

ANALYZE search_postings;
ANALYZE search_words;
