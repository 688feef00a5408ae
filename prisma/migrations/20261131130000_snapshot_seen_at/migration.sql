-- Re-import of an unchanged full file rewrites nothing (issue 18 point 4). A full-snapshot run used
-- to stamp last_seen_at / last_seen_run_id on every record it read, changed or not: at the real
-- IMDb dump's size a rewrite of ~730k rows and their indexes. It now dates the snapshot once, here:
-- every record of the provider that the snapshot did not withdraw was in it, so a record was last
-- read at the later of this and its own last_seen_at (Rating.fetchedAt); the records it withdraws
-- are found by an anti-join with the run's input instead of by last_seen_run_id.
ALTER TABLE "providers" ADD COLUMN "snapshot_seen_at" TIMESTAMPTZ(6);
