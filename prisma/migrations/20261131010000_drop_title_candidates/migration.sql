-- The retired title search's candidate function: nothing calls it any more (search reads the
-- search index of 20261130060000_search_index; the benchmark's peer inlines its own copy).
DROP FUNCTION IF EXISTS "moviec_title_candidates"(TEXT, INTEGER, INTEGER);
