-- Freshness in the provider's own words (issue 15): a rating read from a separate stream carries the
-- date the provider gives for it (MovieLens: the newest ratings.csv timestamp of the movie) through
-- staging; merged, it is kept on the provider record's rating (provider_records.ratings[].sourceUpdatedAt),
-- as ratings embedded in a record already are, and served as Rating.sourceUpdatedAt.
ALTER TABLE "import_staging_ratings" ADD COLUMN "source_updated_at" TIMESTAMPTZ(6);
