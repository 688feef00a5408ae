-- Per provider and rating kind: the Bayesian prior (mean C and weight m) and the quantile
-- calibration onto the common 0-100 scale, fitted from the data by `moviec aggregate --all`.
CREATE TABLE "scoring_priors" (
    "provider_key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "prior_mean" DOUBLE PRECISION NOT NULL,
    "prior_votes" DOUBLE PRECISION NOT NULL,
    "calibration" JSONB NOT NULL DEFAULT '[]',
    "sample_size" INTEGER NOT NULL,
    "overlap_size" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "scoring_priors_pkey" PRIMARY KEY ("provider_key", "kind")
);
ALTER TABLE "scoring_priors" ADD CONSTRAINT "scoring_priors_provider_key_fkey" FOREIGN KEY ("provider_key") REFERENCES "providers"("key") ON DELETE CASCADE ON UPDATE CASCADE;

-- Admin field locks: {"title": "Le Samouraï"} keeps that value whatever providers say.
ALTER TABLE "movies" ADD COLUMN "locks" JSONB NOT NULL DEFAULT '{}';
