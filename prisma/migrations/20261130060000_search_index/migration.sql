-- Search index: one row per movie with the words of all its titles, its popularity and what facets
-- and filters need, plus a dictionary of title words for typo tolerance (symmetric deletes) and
-- autocomplete. Rebuilt from the curated tables (the source of truth) here, and kept current by
-- statement-level triggers on the tables aggregation writes (movies, movie_titles, movie_genres).
-- How a query uses it: src/services/search.ts and src/db/search.ts.

-- A title word in its search form: Roman numerals II-XX as digits ("Rocky II" = "Rocky 2").
-- "i", "v", "x", "l", "c", "d", "m" stay words ("X-Men", "I, Robot").
CREATE FUNCTION "moviec_search_word"(word TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT coalesce((ARRAY['2','3','4',NULL,'6','7','8','9',NULL,'11','12','13','14','15','16','17','18','19','20'])[
           array_position(ARRAY['ii','iii','iv',NULL,'vi','vii','viii','ix',NULL,'xi','xii','xiii','xiv','xv','xvi','xvii','xviii','xix','xx'], word)],
         word)
$$;

-- The tokens of one normalised title (movie_titles.normalized, written by the title normaliser):
-- its words in search form, and "=" followed by all of them without spaces: the whole title, for
-- exact matches however it is spaced ("=walle" for "WALL·E", "=faceoff" for "Face/Off").
CREATE FUNCTION "moviec_search_tokens"(normalized TEXT) RETURNS TEXT[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT coalesce(array_agg(w) || ('=' || string_agg(w, '' ORDER BY n)), '{}')
    FROM unnest(string_to_array(normalized, ' ')) WITH ORDINALITY AS t(raw, n),
         LATERAL moviec_search_word(t.raw) AS w
   WHERE t.raw <> ''
$$;

CREATE TABLE "movie_search" (
  "movie_id"   UUID PRIMARY KEY REFERENCES "movies" ("id") ON DELETE CASCADE,
  -- Distinct tokens of every title of the movie (moviec_search_tokens).
  "tokens"     TEXT[] NOT NULL,
  -- log10(1 + votes across providers) + c-rating / 500: the order of equally good matches (votes
  -- first; the c-rating decides between vote counts within a factor of about 1.6).
  "popularity" DOUBLE PRECISION NOT NULL,
  "votes"      INTEGER,
  "score"      DOUBLE PRECISION,
  "year"       INTEGER,
  -- Canonical genres at or above GENRE_CONFIDENCE_THRESHOLD (src/scoring/rules.ts, 0.5).
  "genre_ids"  INTEGER[] NOT NULL,
  -- Providers with a title of the movie (every matched provider record gives one).
  "providers"  TEXT[] NOT NULL
);
CREATE INDEX "movie_search_tokens_idx" ON "movie_search" USING GIN ("tokens");
CREATE INDEX "movie_search_popularity_idx" ON "movie_search" ("popularity" DESC, "movie_id");

-- Every word of every title, with the number of movies that had it when it was first seen (kept
-- for ordering prefix completions; words are never removed: a stale word only finds nothing).
CREATE TABLE "search_words" (
  "word"   TEXT COLLATE "C" PRIMARY KEY,
  "movies" INTEGER NOT NULL
);
CREATE INDEX "search_words_trgm_idx" ON "search_words" USING GIN ("word" gin_trgm_ops);
CREATE INDEX "search_words_popular_idx" ON "search_words" ("movies" DESC, "word");

-- Symmetric deletes: each word of 4+ letters under each of its one-letter deletions. A query word
-- one edit away (substitution, insertion, deletion or transposition) shares a deletion with it.
CREATE TABLE "search_word_deletes" (
  "variant" TEXT COLLATE "C" NOT NULL,
  "word"    TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY ("variant", "word")
);

-- Dictionary words similar to a long query word (two-edit typos, which one-letter deletions do not
-- all reach): pg_trgm similarity >= 0.25 through the trigram index, at most `lim`, most similar
-- first. The service keeps only those within the allowed edit distance.
CREATE FUNCTION "moviec_similar_words"(probe TEXT, lim INTEGER)
RETURNS TABLE ("word" TEXT, "movies" INTEGER)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET pg_trgm.similarity_threshold = 0.25
AS $$
  SELECT w.word, w.movies FROM search_words w
   WHERE w.word % probe AND abs(length(w.word) - length(probe)) <= 2
   ORDER BY similarity(w.word, probe) DESC, w.word
   LIMIT lim
$$;

-- Recomputes the search rows of these movies from the curated tables, and adds new words to the
-- dictionary. Called by the triggers below with the ids a statement touched.
CREATE FUNCTION "moviec_search_refresh"(ids UUID[]) RETURNS VOID
LANGUAGE plpgsql AS $$
BEGIN
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
         IS DISTINCT FROM (excluded.tokens, excluded.popularity, excluded.votes, excluded.score, excluded.year, excluded.genre_ids, excluded.providers);

  -- New words in a fixed order, so concurrent aggregations lock them in the same order.
  WITH fresh AS (
    INSERT INTO search_words (word, movies)
    SELECT w, 1 FROM (SELECT DISTINCT unnest(s.tokens) AS w FROM movie_search s WHERE s.movie_id = ANY(ids)) x
     WHERE w NOT LIKE '=%' ORDER BY w
    ON CONFLICT (word) DO NOTHING
    RETURNING word
  )
  INSERT INTO search_word_deletes (variant, word)
  SELECT DISTINCT overlay(f.word PLACING '' FROM i FOR 1), f.word
    FROM fresh f, generate_series(1, length(f.word)) i
   WHERE length(f.word) >= 4
  ON CONFLICT DO NOTHING;
END
$$;

CREATE FUNCTION "moviec_search_refresh_new"() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM moviec_search_refresh(ARRAY(SELECT DISTINCT n.movie_id FROM new_rows n));
  RETURN NULL;
END
$$;
CREATE FUNCTION "moviec_search_refresh_old"() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM moviec_search_refresh(ARRAY(SELECT DISTINCT o.movie_id FROM old_rows o));
  RETURN NULL;
END
$$;
CREATE FUNCTION "moviec_search_refresh_movies"() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM moviec_search_refresh(ARRAY(SELECT n.id FROM new_rows n));
  RETURN NULL;
END
$$;

CREATE TRIGGER "movies_search_insert" AFTER INSERT ON "movies"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION moviec_search_refresh_movies();
CREATE TRIGGER "movies_search_update" AFTER UPDATE ON "movies"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION moviec_search_refresh_movies();
CREATE TRIGGER "movie_titles_search_insert" AFTER INSERT ON "movie_titles"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION moviec_search_refresh_new();
CREATE TRIGGER "movie_titles_search_update" AFTER UPDATE ON "movie_titles"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION moviec_search_refresh_new();
CREATE TRIGGER "movie_titles_search_delete" AFTER DELETE ON "movie_titles"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION moviec_search_refresh_old();
CREATE TRIGGER "movie_genres_search_insert" AFTER INSERT ON "movie_genres"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION moviec_search_refresh_new();
CREATE TRIGGER "movie_genres_search_update" AFTER UPDATE ON "movie_genres"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION moviec_search_refresh_new();
CREATE TRIGGER "movie_genres_search_delete" AFTER DELETE ON "movie_genres"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION moviec_search_refresh_old();

-- The first build, set-based: movies with their tokens, then the dictionary with exact counts.
INSERT INTO movie_search (movie_id, tokens, popularity, votes, score, year, genre_ids, providers)
SELECT m.id,
       coalesce(tk.tokens, '{}'),
       log(1 + greatest(coalesce(m.score_votes, 0), 0)) + coalesce(m.score_value, 0) / 500,
       m.score_votes, m.score_value, m.year,
       coalesce(gn.genre_ids, '{}'),
       coalesce(tk.providers, '{}')
  FROM movies m
  LEFT JOIN (SELECT n.movie_id, array_agg(DISTINCT tok ORDER BY tok) AS tokens,
                    array_agg(DISTINCT n.provider_key ORDER BY n.provider_key) FILTER (WHERE n.provider_key IS NOT NULL) AS providers
               FROM (SELECT t.movie_id, t.normalized, t.provider_key FROM movie_titles t
                     UNION ALL SELECT m2.id, moviec_search_text(m2.title), NULL FROM movies m2 WHERE m2.locks ? 'title') n,
                    unnest(moviec_search_tokens(n.normalized)) tok
              GROUP BY n.movie_id) tk ON tk.movie_id = m.id
  LEFT JOIN (SELECT g.movie_id, array_agg(g.genre_id ORDER BY g.genre_id) AS genre_ids
               FROM movie_genres g WHERE g.confidence >= 0.5 GROUP BY g.movie_id) gn ON gn.movie_id = m.id;

INSERT INTO search_words (word, movies)
SELECT w, count(*) FROM movie_search s, unnest(s.tokens) w WHERE w NOT LIKE '=%' GROUP BY w;

INSERT INTO search_word_deletes (variant, word)
SELECT DISTINCT overlay(sw.word PLACING '' FROM i FOR 1), sw.word
  FROM search_words sw, generate_series(1, length(sw.word)) i
 WHERE length(sw.word) >= 4;

ANALYZE movie_search;
ANALYZE search_words;
ANALYZE search_word_deletes;
