-- MovieC initial schema: providers, raw provider records, curated movies and their titles,
-- genres and ratings, import runs and their rejected rows.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateEnum
CREATE TYPE "ProviderKind" AS ENUM ('FILE', 'API');
CREATE TYPE "MatchStatus" AS ENUM ('PENDING', 'MATCHED', 'UNMATCHED', 'AMBIGUOUS');
CREATE TYPE "ImportStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'PARTIAL', 'FAILED');

-- CreateTable
CREATE TABLE "providers" (
    "key" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "ProviderKind" NOT NULL,
    "rating_scale" TEXT NOT NULL,
    "weights" JSONB NOT NULL DEFAULT '{}',
    "creates_movies" BOOLEAN NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "providers_pkey" PRIMARY KEY ("key")
);

CREATE TABLE "movies" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "imdb_id" TEXT,
    "title" TEXT NOT NULL,
    "original_title" TEXT,
    "year" INTEGER,
    "release_date" DATE,
    "runtime_minutes" INTEGER,
    "overview" TEXT,
    "poster_url" TEXT,
    "is_adult" BOOLEAN NOT NULL DEFAULT false,
    "score_value" DOUBLE PRECISION,
    "score_confidence" DOUBLE PRECISION,
    "score_votes" INTEGER,
    "score_provider_count" INTEGER NOT NULL DEFAULT 0,
    "provenance" JSONB NOT NULL DEFAULT '{}',
    "aggregate_hash" TEXT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "movies_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "provider_records" (
    "id" BIGSERIAL NOT NULL,
    "provider_key" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "title" TEXT,
    "original_title" TEXT,
    "year" INTEGER,
    "release_date" DATE,
    "runtime_minutes" INTEGER,
    "genres" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "rating" DOUBLE PRECISION,
    "votes" INTEGER,
    "ratings" JSONB NOT NULL DEFAULT '[]',
    "imdb_id" TEXT,
    "tmdb_id" TEXT,
    "overview" TEXT,
    "poster_url" TEXT,
    "is_adult" BOOLEAN NOT NULL DEFAULT false,
    "payload" JSONB NOT NULL,
    "content_hash" TEXT NOT NULL,
    "movie_id" UUID,
    "match_status" "MatchStatus" NOT NULL DEFAULT 'PENDING',
    "match_method" TEXT,
    "match_confidence" DOUBLE PRECISION,
    "match_reason" TEXT,
    "last_run_id" BIGINT,
    "first_seen_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "changed_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "provider_records_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "movie_titles" (
    "id" BIGSERIAL NOT NULL,
    "movie_id" UUID NOT NULL,
    "provider_key" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "is_original" BOOLEAN NOT NULL DEFAULT false,
    "score" DOUBLE PRECISION NOT NULL,
    CONSTRAINT "movie_titles_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "genres" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    CONSTRAINT "genres_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "genre_aliases" (
    "id" SERIAL NOT NULL,
    "provider_key" TEXT NOT NULL,
    "alias" TEXT NOT NULL,
    "genre_id" INTEGER,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "genre_aliases_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "movie_genres" (
    "movie_id" UUID NOT NULL,
    "genre_id" INTEGER NOT NULL,
    "confidence" DOUBLE PRECISION NOT NULL,
    CONSTRAINT "movie_genres_pkey" PRIMARY KEY ("movie_id","genre_id")
);

CREATE TABLE "ratings" (
    "movie_id" UUID NOT NULL,
    "provider_key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "raw_value" DOUBLE PRECISION NOT NULL,
    "raw_scale" TEXT NOT NULL,
    "normalized" DOUBLE PRECISION NOT NULL,
    "votes" INTEGER,
    CONSTRAINT "ratings_pkey" PRIMARY KEY ("movie_id","provider_key","kind")
);

CREATE TABLE "import_runs" (
    "id" BIGSERIAL NOT NULL,
    "provider_key" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    "status" "ImportStatus" NOT NULL DEFAULT 'QUEUED',
    "source" JSONB NOT NULL DEFAULT '{}',
    "rows_read" INTEGER NOT NULL DEFAULT 0,
    "rows_changed" INTEGER NOT NULL DEFAULT 0,
    "rows_rejected" INTEGER NOT NULL DEFAULT 0,
    "movies_queued" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(6),
    "finished_at" TIMESTAMPTZ(6),
    CONSTRAINT "import_runs_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "import_errors" (
    "id" BIGSERIAL NOT NULL,
    "run_id" BIGINT NOT NULL,
    "line" INTEGER,
    "reference" TEXT,
    "reason" TEXT NOT NULL,
    "excerpt" TEXT,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "import_errors_pkey" PRIMARY KEY ("id")
);

-- Staging for running imports: transient, so not WAL-logged.
CREATE UNLOGGED TABLE "import_staging_records" (
    "id" BIGSERIAL NOT NULL,
    "run_id" BIGINT NOT NULL,
    "external_id" TEXT NOT NULL,
    "line" INTEGER,
    "record" JSONB NOT NULL,
    CONSTRAINT "import_staging_records_pkey" PRIMARY KEY ("id")
);

CREATE UNLOGGED TABLE "import_staging_ratings" (
    "id" BIGSERIAL NOT NULL,
    "run_id" BIGINT NOT NULL,
    "external_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "votes" INTEGER,
    "line" INTEGER,
    CONSTRAINT "import_staging_ratings_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "import_staging_records_run_id_external_id_idx" ON "import_staging_records"("run_id", "external_id");
CREATE INDEX "import_staging_ratings_run_id_external_id_idx" ON "import_staging_ratings"("run_id", "external_id");
CREATE UNIQUE INDEX "movies_imdb_id_key" ON "movies"("imdb_id");
CREATE INDEX "movies_score_value_idx" ON "movies"("score_value");
CREATE INDEX "movies_year_idx" ON "movies"("year");
CREATE UNIQUE INDEX "provider_records_provider_key_external_id_key" ON "provider_records"("provider_key", "external_id");
CREATE INDEX "provider_records_movie_id_idx" ON "provider_records"("movie_id");
CREATE INDEX "provider_records_imdb_id_idx" ON "provider_records"("imdb_id");
CREATE INDEX "provider_records_tmdb_id_idx" ON "provider_records"("tmdb_id");
CREATE INDEX "provider_records_provider_key_match_status_idx" ON "provider_records"("provider_key", "match_status");
CREATE UNIQUE INDEX "movie_titles_movie_id_provider_key_title_key" ON "movie_titles"("movie_id", "provider_key", "title");
CREATE UNIQUE INDEX "genres_name_key" ON "genres"("name");
-- NULLS NOT DISTINCT: an unknown spelling (genre_id NULL) is recorded once per provider.
CREATE UNIQUE INDEX "genre_aliases_provider_key_alias_genre_id_key" ON "genre_aliases"("provider_key", "alias", "genre_id") NULLS NOT DISTINCT;
CREATE INDEX "genre_aliases_genre_id_idx" ON "genre_aliases"("genre_id");
CREATE INDEX "movie_genres_genre_id_idx" ON "movie_genres"("genre_id");
CREATE INDEX "import_runs_provider_key_created_at_idx" ON "import_runs"("provider_key", "created_at");
CREATE INDEX "import_errors_run_id_idx" ON "import_errors"("run_id");

-- AddForeignKey
ALTER TABLE "provider_records" ADD CONSTRAINT "provider_records_provider_key_fkey" FOREIGN KEY ("provider_key") REFERENCES "providers"("key") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "provider_records" ADD CONSTRAINT "provider_records_movie_id_fkey" FOREIGN KEY ("movie_id") REFERENCES "movies"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "movie_titles" ADD CONSTRAINT "movie_titles_movie_id_fkey" FOREIGN KEY ("movie_id") REFERENCES "movies"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "movie_titles" ADD CONSTRAINT "movie_titles_provider_key_fkey" FOREIGN KEY ("provider_key") REFERENCES "providers"("key") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "genre_aliases" ADD CONSTRAINT "genre_aliases_provider_key_fkey" FOREIGN KEY ("provider_key") REFERENCES "providers"("key") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "genre_aliases" ADD CONSTRAINT "genre_aliases_genre_id_fkey" FOREIGN KEY ("genre_id") REFERENCES "genres"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "movie_genres" ADD CONSTRAINT "movie_genres_movie_id_fkey" FOREIGN KEY ("movie_id") REFERENCES "movies"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "movie_genres" ADD CONSTRAINT "movie_genres_genre_id_fkey" FOREIGN KEY ("genre_id") REFERENCES "genres"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "ratings" ADD CONSTRAINT "ratings_movie_id_fkey" FOREIGN KEY ("movie_id") REFERENCES "movies"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "ratings" ADD CONSTRAINT "ratings_provider_key_fkey" FOREIGN KEY ("provider_key") REFERENCES "providers"("key") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "import_runs" ADD CONSTRAINT "import_runs_provider_key_fkey" FOREIGN KEY ("provider_key") REFERENCES "providers"("key") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "import_errors" ADD CONSTRAINT "import_errors_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "import_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;
