-- An unchanged dump is not read again (issue 18 point 4): a full-snapshot run of local files
-- records the SHA-256 of its input (provider, location, every file's bytes; src/sources/input-digest.ts).
-- A run whose input has the digest of the provider's last finished run changes nothing: it takes
-- that run's counts and rejected rows instead of reading ~13.5M lines to find no change.
ALTER TABLE "import_runs" ADD COLUMN "input_digest" TEXT;
