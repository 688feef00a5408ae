-- One title normaliser: normalizeTitle (src/matching/normalize-title.ts). SQL no longer normalises
-- titles itself (the SQL copy lacked the repair of mis-encoded accents: "AmÃ©lie" stayed "amA(c)lie");
-- it stores and compares forms the TypeScript computed: movie_titles.normalized, the search
-- query's words, and here the forms of titles that only exist on movies (admin title locks),
-- written when the lock is applied (src/scoring/aggregate.ts, src/db/title-forms.ts).
-- Titles may be longer than a btree entry allows: keyed by their digest.
CREATE TABLE "title_forms" (
    "title_md5" TEXT GENERATED ALWAYS AS (md5("title")) STORED NOT NULL,
    "title" TEXT NOT NULL,
    "normalized" TEXT NOT NULL,
    CONSTRAINT "title_forms_pkey" PRIMARY KEY ("title_md5")
);

-- Only the retired search (moviec_title_candidates) read this expression index.
DROP INDEX IF EXISTS "movies_locked_title_trgm_idx";

-- moviec_search_text keeps its name (the search index's functions call it) but no longer
-- normalises: it returns the form normalizeTitle gave the title, NULL if none was stored.
CREATE OR REPLACE FUNCTION "moviec_search_text"(title TEXT) RETURNS TEXT
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
  SELECT f.normalized FROM title_forms f WHERE f.title_md5 = md5($1) AND f.title = $1
$$;
