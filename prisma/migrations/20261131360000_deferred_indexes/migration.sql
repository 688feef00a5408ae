-- A large first load (src/db/bulk-load.ts) does not build the movies' non-unique indexes (the
-- lists' orders, year, score): its first aggregation in bulk drops and builds them again anyway
-- (src/db/aggregate-bulk.ts), so the load leaves their definitions here and the aggregation builds
-- them once, at its end, and deletes the rows in its transaction (issue 18 point 3). When the
-- aggregation does not run in bulk, the first load's job builds them before it queues the chunks;
-- a row left with no such job queued is built at the next start-up (src/db/deferred-indexes.ts).
CREATE TABLE "deferred_indexes" (
  "name"        TEXT NOT NULL,
  "table_name"  TEXT NOT NULL,
  "method"      TEXT NOT NULL,
  "definition"  TEXT NOT NULL,
  "deferred_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "deferred_indexes_pkey" PRIMARY KEY ("name")
);
