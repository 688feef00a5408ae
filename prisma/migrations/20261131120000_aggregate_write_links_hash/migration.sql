-- Aggregation wrote each changed movie twice (issue 18): moviec_write_aggregates updated the row,
-- then moviec_movie_events updated it again for links_hash (the hash of its linked provider records),
-- a second non-HOT update of every movie of a first aggregation (11 indexes each). The movies rows
-- now carry links_hash (null: unchanged), written by the one update; moviec_movie_events only
-- receives the movies whose links changed while their result did not.
CREATE OR REPLACE FUNCTION "moviec_write_aggregates"(p_movies jsonb, p_titles jsonb, p_ratings jsonb, p_genres jsonb, p_unknown jsonb)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  ids uuid[];
BEGIN
  SELECT array_agg(x.id ORDER BY x.id) INTO ids FROM jsonb_to_recordset(p_movies) AS x(id uuid);
  PERFORM set_config('moviec.search_refresh', 'deferred', true);

  UPDATE movies m SET
    title = x."title", original_title = x."originalTitle", year = x."year", release_date = x."releaseDate"::date,
    runtime_minutes = x."runtimeMinutes", overview = x."overview", poster_url = x."posterUrl", is_adult = x."isAdult",
    imdb_id = coalesce(m.imdb_id, x."imdbId"), provenance = x.provenance,
    score_value = x.score_value, score_confidence = x.score_confidence, score_votes = x.score_votes,
    score_provider_count = x.score_provider_count, score_critics = x.score_critics, score_audience = x.score_audience,
    aggregate_hash = x.hash, links_hash = coalesce(x.links_hash, m.links_hash),
    version = m.version + 1, updated_at = now()
   FROM jsonb_to_recordset(p_movies) AS x(
     id uuid, hash text, links_hash text, "title" text, "originalTitle" text, "year" int, "releaseDate" text, "runtimeMinutes" int,
     "overview" text, "posterUrl" text, "isAdult" boolean, "imdbId" text, provenance jsonb,
     score_value float8, score_confidence float8, score_votes int, score_provider_count int,
     score_critics float8, score_audience float8)
  WHERE m.id = x.id;

  -- Titles: the first of repeated (movie, provider, title) entries counts, as with ON CONFLICT DO NOTHING.
  WITH x AS MATERIALIZED (
    SELECT x.movie_id, x."providerKey", x.title FROM jsonb_to_recordset(p_titles) AS x(movie_id uuid, "providerKey" text, title text)
  )
  DELETE FROM movie_titles t
   WHERE t.movie_id = ANY(ids)
     AND NOT EXISTS (SELECT 1 FROM x WHERE x.movie_id = t.movie_id AND x."providerKey" = t.provider_key AND x.title = t.title);
  INSERT INTO movie_titles AS t (movie_id, provider_key, title, normalized, is_original, score)
  SELECT DISTINCT ON (x.movie_id, x."providerKey", x.title) x.movie_id, x."providerKey", x.title, x.normalized, x."isOriginal", x.score
    FROM jsonb_array_elements(p_titles) WITH ORDINALITY AS e(v, n)
   CROSS JOIN LATERAL jsonb_to_record(e.v)
      AS x(movie_id uuid, "providerKey" text, title text, normalized text, "isOriginal" boolean, score float8)
   ORDER BY x.movie_id, x."providerKey", x.title, e.n
  ON CONFLICT (movie_id, provider_key, title) DO UPDATE
     SET normalized = excluded.normalized, is_original = excluded.is_original, score = excluded.score
   WHERE (t.normalized, t.is_original, t.score) IS DISTINCT FROM (excluded.normalized, excluded.is_original, excluded.score);

  WITH x AS MATERIALIZED (
    SELECT x.movie_id, x."providerKey", x.kind FROM jsonb_to_recordset(p_ratings) AS x(movie_id uuid, "providerKey" text, kind text)
  )
  DELETE FROM ratings r
   WHERE r.movie_id = ANY(ids)
     AND NOT EXISTS (SELECT 1 FROM x WHERE x.movie_id = r.movie_id AND x."providerKey" = r.provider_key AND x.kind = r.kind);
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

  WITH x AS MATERIALIZED (
    SELECT x.movie_id, g.id AS genre_id FROM jsonb_to_recordset(p_genres) AS x(movie_id uuid, name text) JOIN genres g ON g.name = x.name
  )
  DELETE FROM movie_genres mg
   WHERE mg.movie_id = ANY(ids)
     AND NOT EXISTS (SELECT 1 FROM x WHERE x.movie_id = mg.movie_id AND x.genre_id = mg.genre_id);
  INSERT INTO movie_genres AS mg (movie_id, genre_id, confidence)
  SELECT x.movie_id, g.id, x.confidence
    FROM jsonb_to_recordset(p_genres) AS x(movie_id uuid, name text, confidence float8)
    JOIN genres g ON g.name = x.name
  ON CONFLICT (movie_id, genre_id) DO UPDATE SET confidence = excluded.confidence
   WHERE mg.confidence IS DISTINCT FROM excluded.confidence;

  INSERT INTO genre_aliases (provider_key, alias, genre_id)
  SELECT DISTINCT x."providerKey", x.alias, NULL::int FROM jsonb_to_recordset(p_unknown) AS x("providerKey" text, alias text)
  ON CONFLICT (provider_key, alias, genre_id) DO NOTHING;

  -- The search rows of these movies, once, from what was just written.
  PERFORM set_config('moviec.search_refresh', '', true);
  PERFORM moviec_search_refresh(ids);
END
$$;
