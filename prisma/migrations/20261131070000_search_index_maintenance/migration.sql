-- The search index's GIN indexes without a pending list. With fastupdate (PostgreSQL's default)
-- new entries wait in an unsorted pending list of up to gin_pending_list_limit (4 MB) that every
-- search through the index reads in full until VACUUM or autoanalyze merges it. Aggregation keeps
-- rewriting movie_search rows, so the list was always nearly full: at 1M movies the whole-title
-- lookup every search makes ("=the") read 512 pages (4 MB) and took 48 ms for 224 rows. Without
-- it a write merges its few entries at once (a movie has a handful of tokens) and a search reads
-- only the posting lists of its words.
ALTER INDEX "movie_search_tokens_idx" SET (fastupdate = off);
SELECT gin_clean_pending_list('movie_search_tokens_idx');
ALTER INDEX "search_words_trgm_idx" SET (fastupdate = off);
SELECT gin_clean_pending_list('search_words_trgm_idx');

-- Broad searches read the most popular movies through the covering popularity index, index-only
-- only where the visibility map says a page is all-visible. Aggregation keeps rewriting the rows of
-- popular movies, and the default autovacuum threshold (20 % of the table dead) left them unvacuumed:
-- at 1M movies, 1,128 of the 8,759 index entries "the scarlet" read needed a heap fetch (1,438
-- pages instead of ~310). Vacuumed at 2 % instead, the index stays index-only for the rows read most.
ALTER TABLE "movie_search" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.05);
