-- Issue 18: the staged records' index on (run_id, external_id) cost its COPY ~10 % of the backend's
-- CPU (734k entries for the real IMDb dump) and served one statement: the merge's search for
-- repeated external ids, which a sorted input (IMDb's) no longer runs (the importer sees its ids
-- distinct: ingest/staging.ts idsDistinct); for another input it reads the run's rows instead.
-- The merge reads a run's rows whole; clearing them deletes them whole.
DROP INDEX IF EXISTS "import_staging_records_run_id_external_id_idx";
