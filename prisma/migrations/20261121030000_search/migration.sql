-- Search: typo- and accent-tolerant title search over bounded, index-driven candidate sets, and
-- indexes for the keyset orderings of movie lists. See src/graphql/data/search.ts.

-- The SQL twin of normalizeTitle (src/matching/normalize-title.ts): lower case, accents stripped,
-- apostrophes dropped, `&` as "and", other punctuation as spaces, a leading or trailing article
-- dropped. Only needed for locked curated titles (every other title of a movie is in
-- movie_titles.normalized, normalised by the TypeScript); test/api-search-sql.test.ts keeps the two in step.
CREATE FUNCTION "moviec_search_text"(title TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT coalesce(
           nullif(regexp_replace(regexp_replace(plain,
             '^(the|a|an|le|la|les|l|el|los|las|il|lo|der|die|das|de|het) ', ''),
             ' (the|a|an|le|la|les|l|el|los|las|il|lo|der|die|das|de|het)$', ''), ''),
           plain)
    FROM (SELECT btrim(regexp_replace(
                   replace(translate(lower(title),
                     'àáâãäåāăąèéêëēĕėęěìíîïĩīĭįòóôõöōŏőùúûüũūŭůűųýÿçćĉċčñńņňśŝşšźżžğĝģĥĵķĺļľŕŗřţťŵŷ''’`',
                     'aaaaaaaaaeeeeeeeeeiiiiiiiioooooooouuuuuuuuuuyycccccnnnnsssszzzggghjklllrrrttwy'),
                   '&', ' and '),
                 '[^[:alnum:]]+', ' ', 'g')) AS plain) AS normalized
$$;

-- Exact and prefix matches of normalised titles, in byte order (a range scan, never a full one).
CREATE INDEX "movie_titles_normalized_prefix_idx" ON "movie_titles" ("normalized" COLLATE "C");
-- Locked curated titles (a handful): trigram-searchable like provider titles.
CREATE INDEX "movies_locked_title_trgm_idx" ON "movies" USING GIN ("moviec_search_text"("title") gin_trgm_ops)
  WHERE "locks" ? 'title';

-- The titles a search considers, from indexes only and at most prefix_limit + 2 * fuzzy_limit rows:
-- titles starting with the (normalised) query, and titles containing a word sequence similar to
-- it (pg_trgm word similarity >= 0.45, through the GIN trigram index on movie_titles.normalized).
-- Fuzzy matching needs three characters. A function, so that its settings hold for these scans
-- only: the planner otherwise prefers a sequential scan when it expects many similar titles.
CREATE FUNCTION "moviec_title_candidates"(query TEXT, prefix_limit INTEGER, fuzzy_limit INTEGER)
RETURNS TABLE ("movie_id" UUID, "matched" TEXT)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET enable_seqscan = off
SET pg_trgm.word_similarity_threshold = 0.45
AS $$
  (SELECT t.movie_id, t.normalized FROM movie_titles t
    WHERE t.normalized COLLATE "C" >= query AND t.normalized COLLATE "C" < query || chr(1114111)
    ORDER BY t.normalized COLLATE "C" LIMIT prefix_limit)
  UNION ALL
  (SELECT t.movie_id, t.normalized FROM movie_titles t
    WHERE length(query) >= 3 AND query <% t.normalized LIMIT fuzzy_limit)
  UNION ALL
  (SELECT m.id, moviec_search_text(m.title) FROM movies m
    WHERE m.locks ? 'title' AND length(query) >= 3 AND query <% moviec_search_text(m.title) LIMIT fuzzy_limit)
$$;

-- Keyset pagination of `movies`: each ordering reads its index in order and stops after a page.
CREATE INDEX "movies_score_order_idx" ON "movies" ((coalesce("score_value", -1)) DESC, "id" DESC);
CREATE INDEX "movies_year_order_idx" ON "movies" ((coalesce("year", -1)) DESC, "id" DESC);
CREATE INDEX "movies_votes_order_idx" ON "movies" ((coalesce("score_votes", -1)) DESC, "id" DESC);
CREATE INDEX "movies_title_order_idx" ON "movies" (lower("title"), "id");
