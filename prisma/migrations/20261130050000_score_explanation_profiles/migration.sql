-- Scores partners can explain (issue 15).
-- ratings: `normalized` is now the linear 0-100 value only (MovieLens 4.2 / 5 is 84); the value on
-- the common scale is `calibrated`, and the prior the rating was shrunk toward is kept beside it,
-- so one rating row explains its contribution. Rows written before this migration have NULLs until
-- the re-aggregation the new formula version triggers (a worker start refits and re-aggregates).
ALTER TABLE "ratings" ADD COLUMN "calibrated" DOUBLE PRECISION,
                      ADD COLUMN "prior_mean" DOUBLE PRECISION,
                      ADD COLUMN "prior_votes" DOUBLE PRECISION;

-- movies: the c-rating under the CRITICS and AUDIENCE profiles (score_value is BALANCED),
-- precomputed so that ordering by a profile walks an index like SCORE_DESC does.
ALTER TABLE "movies" ADD COLUMN "score_critics" DOUBLE PRECISION,
                     ADD COLUMN "score_audience" DOUBLE PRECISION;
CREATE INDEX "movies_score_critics_order_idx" ON "movies" ((coalesce("score_critics", -1)) DESC, "id" DESC);
CREATE INDEX "movies_score_audience_order_idx" ON "movies" ((coalesce("score_audience", -1)) DESC, "id" DESC);

-- Versioned fits: one row per adopted fit of the priors and calibrations; scoring_priors holds
-- the rows of the current version.
CREATE TABLE "scoring_fits" (
    "version" INTEGER NOT NULL,
    "formula_version" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "scoring_fits_pkey" PRIMARY KEY ("version")
);
ALTER TABLE "scoring_priors" ADD COLUMN "version" INTEGER NOT NULL DEFAULT 0;

-- moviec_write_aggregates: as before, plus the profile scores and the rating columns above.
CREATE OR REPLACE FUNCTION "moviec_write_aggregates"(p_movies jsonb, p_titles jsonb, p_ratings jsonb, p_genres jsonb, p_unknown jsonb)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  ids uuid[];
BEGIN
  SELECT array_agg(x.id) INTO ids FROM jsonb_to_recordset(p_movies) AS x(id uuid);

  UPDATE movies m SET
    title = x."title", original_title = x."originalTitle", year = x."year", release_date = x."releaseDate"::date,
    runtime_minutes = x."runtimeMinutes", overview = x."overview", poster_url = x."posterUrl", is_adult = x."isAdult",
    imdb_id = coalesce(m.imdb_id, x."imdbId"), provenance = x.provenance,
    score_value = x.score_value, score_confidence = x.score_confidence, score_votes = x.score_votes,
    score_provider_count = x.score_provider_count, score_critics = x.score_critics, score_audience = x.score_audience,
    aggregate_hash = x.hash,
    version = m.version + 1, updated_at = now()
   FROM jsonb_to_recordset(p_movies) AS x(
     id uuid, hash text, "title" text, "originalTitle" text, "year" int, "releaseDate" text, "runtimeMinutes" int,
     "overview" text, "posterUrl" text, "isAdult" boolean, "imdbId" text, provenance jsonb,
     score_value float8, score_confidence float8, score_votes int, score_provider_count int,
     score_critics float8, score_audience float8)
  WHERE m.id = x.id;

  -- Titles: the first of repeated (movie, provider, title) entries counts, as with ON CONFLICT DO NOTHING.
  DELETE FROM movie_titles t
   WHERE t.movie_id = ANY(ids)
     AND NOT EXISTS (SELECT 1 FROM jsonb_to_recordset(p_titles) AS x(movie_id uuid, "providerKey" text, title text)
                      WHERE x.movie_id = t.movie_id AND x."providerKey" = t.provider_key AND x.title = t.title);
  INSERT INTO movie_titles AS t (movie_id, provider_key, title, normalized, is_original, score)
  SELECT DISTINCT ON (x.movie_id, x."providerKey", x.title) x.movie_id, x."providerKey", x.title, x.normalized, x."isOriginal", x.score
    FROM jsonb_array_elements(p_titles) WITH ORDINALITY AS e(v, n)
   CROSS JOIN LATERAL jsonb_to_record(e.v)
      AS x(movie_id uuid, "providerKey" text, title text, normalized text, "isOriginal" boolean, score float8)
   ORDER BY x.movie_id, x."providerKey", x.title, e.n
  ON CONFLICT (movie_id, provider_key, title) DO UPDATE
     SET normalized = excluded.normalized, is_original = excluded.is_original, score = excluded.score
   WHERE (t.normalized, t.is_original, t.score) IS DISTINCT FROM (excluded.normalized, excluded.is_original, excluded.score);

  DELETE FROM ratings r
   WHERE r.movie_id = ANY(ids)
     AND NOT EXISTS (SELECT 1 FROM jsonb_to_recordset(p_ratings) AS x(movie_id uuid, "providerKey" text, kind text)
                      WHERE x.movie_id = r.movie_id AND x."providerKey" = r.provider_key AND x.kind = r.kind);
  INSERT INTO ratings AS r (movie_id, provider_key, kind, raw_value, raw_scale, normalized, calibrated, prior_mean, prior_votes, votes)
  SELECT x.movie_id, x."providerKey", x.kind, x."rawValue", x."rawScale", x.normalized, x.calibrated, x."priorMean", x."priorVotes", x.votes
    FROM jsonb_to_recordset(p_ratings) AS x(movie_id uuid, "providerKey" text, kind text, "rawValue" float8,
                                            "rawScale" text, normalized float8, calibrated float8, "priorMean" float8,
                                            "priorVotes" float8, votes int)
  ON CONFLICT (movie_id, provider_key, kind) DO UPDATE
     SET raw_value = excluded.raw_value, raw_scale = excluded.raw_scale, normalized = excluded.normalized,
         calibrated = excluded.calibrated, prior_mean = excluded.prior_mean, prior_votes = excluded.prior_votes, votes = excluded.votes
   WHERE (r.raw_value, r.raw_scale, r.normalized, r.calibrated, r.prior_mean, r.prior_votes, r.votes)
         IS DISTINCT FROM (excluded.raw_value, excluded.raw_scale, excluded.normalized, excluded.calibrated, excluded.prior_mean,
                           excluded.prior_votes, excluded.votes);

  DELETE FROM movie_genres mg
   WHERE mg.movie_id = ANY(ids)
     AND NOT EXISTS (SELECT 1 FROM jsonb_to_recordset(p_genres) AS x(movie_id uuid, name text)
                       JOIN genres g ON g.name = x.name
                      WHERE x.movie_id = mg.movie_id AND g.id = mg.genre_id);
  INSERT INTO movie_genres AS mg (movie_id, genre_id, confidence)
  SELECT x.movie_id, g.id, x.confidence
    FROM jsonb_to_recordset(p_genres) AS x(movie_id uuid, name text, confidence float8)
    JOIN genres g ON g.name = x.name
  ON CONFLICT (movie_id, genre_id) DO UPDATE SET confidence = excluded.confidence
   WHERE mg.confidence IS DISTINCT FROM excluded.confidence;

  INSERT INTO genre_aliases (provider_key, alias, genre_id)
  SELECT DISTINCT x."providerKey", x.alias, NULL::int FROM jsonb_to_recordset(p_unknown) AS x("providerKey" text, alias text)
  ON CONFLICT (provider_key, alias, genre_id) DO NOTHING;
END
$$;
