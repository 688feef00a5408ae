-- Aggregation remembers each movie's linked records (movies.links_hash, moviec_movie_events) in a
-- second update of its movies, which fired the search index trigger (20261130060000) and refreshed
-- the batch's search rows a second time for a column the index does not hold (issue 18). The same
-- function, with that update marked as 20261131040000 marks aggregation's own writes.
CREATE OR REPLACE FUNCTION "moviec_movie_events"(p_links jsonb, p_notify text[], p_events jsonb)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  queued int;
BEGIN
  IF jsonb_array_length(p_links) > 0 THEN
    -- links_hash is no part of the search index: its movies trigger is skipped for this update.
    PERFORM set_config('moviec.search_refresh', 'deferred', true);
    UPDATE movies m SET links_hash = x.links_hash
      FROM jsonb_to_recordset(p_links) AS x(movie_id uuid, links_hash text)
     WHERE m.id = x.movie_id AND m.links_hash IS DISTINCT FROM x.links_hash;
    PERFORM set_config('moviec.search_refresh', '', true);
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
