-- Issue 13 points 3 and 4: values are only replaced by values, and records that vanish from a
-- provider's full file are noticed.

-- The last run whose input held the record (last_run_id stays the run that last wrote it).
ALTER TABLE "provider_records" ADD COLUMN "last_seen_run_id" BIGINT;
UPDATE "provider_records" SET "last_seen_run_id" = "last_run_id";
-- When a full-snapshot run first missed the record (its movie is flagged withdrawnFrom meanwhile),
-- and when, after the grace period, aggregation started leaving it out.
ALTER TABLE "provider_records" ADD COLUMN "withdrawn_at" TIMESTAMPTZ(6);
ALTER TABLE "provider_records" ADD COLUMN "withdrawal_applied_at" TIMESTAMPTZ(6);
CREATE INDEX "provider_records_withdrawn_at_idx" ON "provider_records"("withdrawn_at") WHERE "withdrawn_at" IS NOT NULL;

-- What a rejected row keeps of the stored record it names: 'record' (all of it) or 'ratings'.
ALTER TABLE "import_errors" ADD COLUMN "holds" TEXT;

-- Records a full-snapshot run newly found missing from its input.
ALTER TABLE "import_runs" ADD COLUMN "rows_withdrawn" INTEGER NOT NULL DEFAULT 0;
