-- Issue 18: a staged record is staged in columns, not as one jsonb document. The merge expanded
-- every record's jsonb (jsonb_to_record) and printed it back as text for its content hash, on one
-- backend (~5 s of the real IMDb dump's merge); the COPY parsed the whole document as jsonb. Now
-- the fields are columns, only payload and ratings are jsonb, and record_text is the record's jsonb
-- text (as `record::text` printed it: built by the importer, src/db/jsonb-text.ts), which the
-- content hash is computed from, so the stored hashes stay comparable.
-- A rating's element is its jsonb text in the record's ratings, built by the importer; NULL when
-- the merge prints it from the columns (a date the importer does not vouch for).
-- Staging holds only what running imports read: a run that was running starts over from a clean
-- slate (services/import.ts), so its rows are not kept.
TRUNCATE "import_staging_records", "import_staging_ratings";
ALTER TABLE "import_staging_records"
    DROP COLUMN "record",
    ADD COLUMN "title" TEXT,
    ADD COLUMN "original_title" TEXT,
    ADD COLUMN "year" INTEGER,
    ADD COLUMN "release_date" TEXT,
    ADD COLUMN "runtime_minutes" INTEGER,
    ADD COLUMN "genres" TEXT[],
    ADD COLUMN "ratings" JSONB,
    ADD COLUMN "imdb_id" TEXT,
    ADD COLUMN "tmdb_id" TEXT,
    ADD COLUMN "directors" TEXT[],
    ADD COLUMN "overview" TEXT,
    ADD COLUMN "poster_url" TEXT,
    ADD COLUMN "is_adult" BOOLEAN,
    ADD COLUMN "payload" JSONB,
    ADD COLUMN "removed" TEXT[],
    ADD COLUMN "record_text" TEXT NOT NULL;
ALTER TABLE "import_staging_ratings" ADD COLUMN "element" TEXT;
