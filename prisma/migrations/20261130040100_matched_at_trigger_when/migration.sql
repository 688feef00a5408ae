-- provider_records.matched_at: the trigger runs only for rows whose match changes (its WHEN is
-- checked without calling the function), so an import that rewrites a million unchanged links
-- pays nothing for it.
DROP TRIGGER "provider_records_matched_at" ON "provider_records";
CREATE TRIGGER "provider_records_matched_at_insert" BEFORE INSERT ON "provider_records"
  FOR EACH ROW WHEN (NEW.movie_id IS NOT NULL) EXECUTE FUNCTION moviec_stamp_matched_at();
CREATE TRIGGER "provider_records_matched_at_update" BEFORE UPDATE OF "movie_id", "match_method" ON "provider_records"
  FOR EACH ROW WHEN (NEW.movie_id IS DISTINCT FROM OLD.movie_id OR NEW.match_method IS DISTINCT FROM OLD.match_method)
  EXECUTE FUNCTION moviec_stamp_matched_at();
