-- Whole-title tokens ("=" + a title's words without spaces) in the posting lists too (issue 16
-- point 6). Every search also looks up the whole titles the query may be ("=dancer", "=blackroad");
-- through movie_search's GIN index that read one heap page per movie so titled (at 1M movies ~100
-- pages for "Dancer", most of a typical search's pages once the words came from postings), and an
-- arbitrary 100 of them. From the postings they are the 100 most popular, index-only, a few pages.
-- The dictionary and its counts stay words only.

INSERT INTO search_postings (movie_id, token, popularity, tokens, year)
SELECT s.movie_id, w, s.popularity, s.tokens, s.year
  FROM movie_search s, unnest(s.tokens) w
 WHERE w LIKE '=%'
 ORDER BY w, s.popularity DESC, s.movie_id DESC;

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
  SELECT coalesce(array_agg(d.token) FILTER (WHERE d.token NOT LIKE '=%'), '{}') INTO gone FROM d;

  -- New postings, then the counts of the words gained or lost (new words in a fixed order, so
  -- concurrent refreshes lock them in the same order), then the deletions of new words.
  WITH added AS (
    INSERT INTO search_postings (movie_id, token, popularity, tokens, year)
    SELECT s.movie_id, w, s.popularity, s.tokens, s.year
      FROM movie_search s, unnest(s.tokens) w
     WHERE s.movie_id = ANY(moved)
    RETURNING token
  ), delta AS (
    SELECT x.w, sum(x.n)::int AS n
      FROM (SELECT a.token AS w, 1 AS n FROM added a WHERE a.token NOT LIKE '=%' UNION ALL SELECT g, -1 FROM unnest(gone) g) x
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

CREATE OR REPLACE FUNCTION "moviec_search_postings_delete"() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
  WITH d AS (
    DELETE FROM search_postings p USING old_rows o WHERE p.movie_id = o.movie_id RETURNING p.token
  ), lost AS (
    SELECT d.token AS w, count(*)::int AS n FROM d WHERE d.token NOT LIKE '=%' GROUP BY d.token
  )
  INSERT INTO search_words AS sw (word, movies)
  SELECT lost.w, -lost.n FROM lost ORDER BY lost.w
  ON CONFLICT (word) DO UPDATE SET movies = greatest(sw.movies + excluded.movies, 0);
  RETURN NULL;
END
$$;
ANALYZE search_postings;
