-- Title matching: every provider title of a movie in its normalised form (see
-- src/matching/normalize-title.ts), with a trigram index for pg_trgm candidate search.
ALTER TABLE "movie_titles" ADD COLUMN "normalized" TEXT NOT NULL DEFAULT '';
CREATE INDEX "movie_titles_normalized_trgm_idx" ON "movie_titles" USING GIN ("normalized" gin_trgm_ops);
-- Rows waiting for a movie, retried when new movies appear.
CREATE INDEX "provider_records_unmatched_idx" ON "provider_records" ("id") WHERE "match_status" IN ('UNMATCHED', 'AMBIGUOUS');
