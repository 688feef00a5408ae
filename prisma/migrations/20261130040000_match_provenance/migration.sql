-- Matching on real provider data (issue 14): evidence, provenance per link, corrections.

-- Directors a provider names (Rotten Tomatoes `directors`, TMDB credits): evidence for title matches.
ALTER TABLE "provider_records" ADD COLUMN "directors" TEXT[] NOT NULL DEFAULT '{}';

-- When the record joined its movie (provenance next to match_method and match_confidence). Kept
-- by a trigger so every writer of movie_id (merge, matching, corrections) records it.
ALTER TABLE "provider_records" ADD COLUMN "matched_at" TIMESTAMPTZ(6);
UPDATE "provider_records" SET "matched_at" = "changed_at" WHERE "movie_id" IS NOT NULL;
CREATE FUNCTION moviec_stamp_matched_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.movie_id IS NULL THEN
    NEW.matched_at := NULL;
  ELSIF TG_OP = 'INSERT' OR NEW.movie_id IS DISTINCT FROM OLD.movie_id OR NEW.match_method IS DISTINCT FROM OLD.match_method THEN
    NEW.matched_at := now();
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER "provider_records_matched_at" BEFORE INSERT OR UPDATE OF "movie_id", "match_method" ON "provider_records"
  FOR EACH ROW EXECUTE FUNCTION moviec_stamp_matched_at();

-- Corrections by an admin, keyed by the provider's id so they survive reimports (a record that is
-- deleted and comes back is corrected again). CONFIRM / RELINK pin the record to movie_id;
-- REJECT keeps it away from movie_id (one row per rejected movie).
CREATE TABLE "match_corrections" (
    "id" BIGSERIAL NOT NULL,
    "provider_key" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "movie_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "match_corrections_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "match_corrections_kind_check" CHECK ("kind" IN ('CONFIRM', 'RELINK', 'REJECT'))
);
CREATE UNIQUE INDEX "match_corrections_provider_key_external_id_movie_id_key" ON "match_corrections"("provider_key", "external_id", "movie_id");
-- At most one pin per record.
CREATE UNIQUE INDEX "match_corrections_pin_key" ON "match_corrections"("provider_key", "external_id") WHERE "kind" <> 'REJECT';
ALTER TABLE "match_corrections" ADD CONSTRAINT "match_corrections_provider_key_fkey" FOREIGN KEY ("provider_key") REFERENCES "providers"("key") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "match_corrections" ADD CONSTRAINT "match_corrections_movie_id_fkey" FOREIGN KEY ("movie_id") REFERENCES "movies"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The matching rules a database was last matched under (`moviec rematch` runs at start-up when
-- the code's MATCHING_RULES_VERSION differs).
CREATE TABLE "matching_state" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "rules_version" INTEGER NOT NULL,
    "rematched_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "matching_state_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "matching_state_single_row" CHECK ("id" = 1)
);
