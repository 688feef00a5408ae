-- When each schedule last fired, written by MovieC's scheduled tasks themselves (Graphile Worker's
-- own crontab bookkeeping is private to it), for `moviec status`.
CREATE TABLE "schedule_runs" (
    "identifier" TEXT NOT NULL,
    "last_fired_at" TIMESTAMPTZ(6) NOT NULL,
    "last_job_id" TEXT NOT NULL,
    "backfilled" BOOLEAN NOT NULL DEFAULT false,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "schedule_runs_pkey" PRIMARY KEY ("identifier")
);
