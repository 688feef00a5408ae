-- Partners (issue 20): webhooks and their delivery log, partner API keys, and the events that
-- aggregation records when a movie really changes (moviec_movie_events, called inside its write
-- transaction so events commit with the change that caused them).

-- The set of provider records (provider:externalId) linked to a movie, hashed, as aggregation last
-- saw it: a different set is a movie.match_changed event.
ALTER TABLE "movies" ADD COLUMN "links_hash" TEXT;

CREATE TABLE "webhooks" (
    "id" BIGSERIAL NOT NULL,
    "url" TEXT NOT NULL,
    "events" TEXT[] NOT NULL,
    "min_delta" DOUBLE PRECISION,
    "genres" TEXT[] NOT NULL DEFAULT '{}',
    "secret" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "disabled_reason" TEXT,
    "consecutive_failures" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "webhooks_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "webhook_deliveries" (
    "id" BIGSERIAL NOT NULL,
    "webhook_id" BIGINT NOT NULL,
    "event_id" UUID NOT NULL,
    "event" TEXT NOT NULL,
    "movie_id" UUID,
    "payload" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "last_status_code" INTEGER,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_attempt_at" TIMESTAMPTZ(6),
    "delivered_at" TIMESTAMPTZ(6),
    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "webhook_deliveries_webhook_id_fkey" FOREIGN KEY ("webhook_id") REFERENCES "webhooks"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "webhook_deliveries_webhook_id_id_idx" ON "webhook_deliveries"("webhook_id", "id");
CREATE INDEX "webhook_deliveries_webhook_id_movie_id_status_idx" ON "webhook_deliveries"("webhook_id", "movie_id", "status");

CREATE TABLE "api_keys" (
    "id" BIGSERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "key_prefix" TEXT NOT NULL,
    "requests_per_minute" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(6),
    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "api_keys_key_hash_key" ON "api_keys"("key_hash");

-- Records what one aggregation transaction changed. p_links: [{movie_id, links_hash}] of movies
-- whose linked records changed (remembered for next time). p_notify: payloads for subscribers
-- (LISTEN moviec_movie_events), each under NOTIFY's 8000 bytes. p_events: [{movie_id, type, delta,
-- genres, data}] in order; each becomes one delivery per enabled webhook that wants it, and one
-- delivery job per (webhook, movie) is queued (job key and queue webhook:<id>:<movie>, so a movie's
-- deliveries to one webhook go out one at a time, in order). Nothing is read or written for
-- webhooks when none is enabled.
CREATE OR REPLACE FUNCTION "moviec_movie_events"(p_links jsonb, p_notify text[], p_events jsonb)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  queued int;
BEGIN
  IF jsonb_array_length(p_links) > 0 THEN
    UPDATE movies m SET links_hash = x.links_hash
      FROM jsonb_to_recordset(p_links) AS x(movie_id uuid, links_hash text)
     WHERE m.id = x.movie_id AND m.links_hash IS DISTINCT FROM x.links_hash;
  END IF;

  PERFORM pg_notify('moviec_movie_events', n) FROM unnest(p_notify) AS n;

  IF jsonb_array_length(p_events) = 0 OR NOT EXISTS (SELECT 1 FROM webhooks WHERE enabled) THEN
    RETURN;
  END IF;
  WITH ev AS (
    SELECT gen_random_uuid() AS event_id, e.n, x.*
      FROM jsonb_array_elements(p_events) WITH ORDINALITY AS e(v, n)
     CROSS JOIN LATERAL jsonb_to_record(e.v) AS x(movie_id uuid, type text, delta float8, genres text[], data jsonb)
  ), inserted AS (
    INSERT INTO webhook_deliveries (webhook_id, event_id, event, movie_id, payload)
    SELECT w.id, ev.event_id, ev.type, ev.movie_id,
           jsonb_build_object('id', ev.event_id, 'type', ev.type,
                              'createdAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'data', ev.data)
      FROM ev
      JOIN webhooks w ON w.enabled AND ev.type = ANY(w.events)
       AND (w.min_delta IS NULL OR ev.type <> 'movie.score_changed' OR ev.delta IS NULL OR abs(ev.delta) >= w.min_delta)
       AND (cardinality(w.genres) = 0 OR ev.genres && w.genres)
     ORDER BY ev.n, w.id
    RETURNING webhook_id, movie_id
  )
  SELECT count(*) INTO queued FROM graphile_worker.add_jobs(ARRAY(
    SELECT ROW('webhook-deliver', json_build_object('webhookId', webhook_id::text, 'movieId', movie_id),
               'webhook:' || webhook_id || ':' || movie_id, NULL, NULL, 'webhook:' || webhook_id || ':' || movie_id, NULL, NULL
           )::graphile_worker.job_spec
      FROM (SELECT DISTINCT webhook_id, movie_id FROM inserted) pairs), true);
END
$$;
