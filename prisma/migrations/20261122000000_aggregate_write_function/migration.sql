-- Aggregation writes in one round trip (src/scoring/aggregate.ts, writeResults): the same
-- statements as before, run in order inside one function call. Arguments are JSON arrays:
-- movies (the new curated fields, score and hash), titles, ratings, genres and unknown genre
-- aliases, each for the movies being written.
CREATE FUNCTION "moviec_write_aggregates"(p_movies jsonb, p_titles jsonb, p_ratings jsonb, p_genres jsonb, p_unknown jsonb)
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
    score_provider_count = x.score_provider_count, aggregate_hash = x.hash,
    version = m.version + 1, updated_at = now()
   FROM jsonb_to_recordset(p_movies) AS x(
     id uuid, hash text, "title" text, "originalTitle" text, "year" int, "releaseDate" text, "runtimeMinutes" int,
     "overview" text, "posterUrl" text, "isAdult" boolean, "imdbId" text, provenance jsonb,
     score_value float8, score_confidence float8, score_votes int, score_provider_count int)
  WHERE m.id = x.id;

  DELETE FROM movie_titles WHERE movie_id = ANY(ids);
  INSERT INTO movie_titles (movie_id, provider_key, title, normalized, is_original, score)
  SELECT x.movie_id, x."providerKey", x.title, x.normalized, x."isOriginal", x.score
    FROM jsonb_to_recordset(p_titles)
      AS x(movie_id uuid, "providerKey" text, title text, normalized text, "isOriginal" boolean, score float8)
  ON CONFLICT (movie_id, provider_key, title) DO NOTHING;

  DELETE FROM ratings WHERE movie_id = ANY(ids);
  INSERT INTO ratings (movie_id, provider_key, kind, raw_value, raw_scale, normalized, votes)
  SELECT x.movie_id, x."providerKey", x.kind, x."rawValue", x."rawScale", x.normalized, x.votes
    FROM jsonb_to_recordset(p_ratings) AS x(movie_id uuid, "providerKey" text, kind text, "rawValue" float8,
                                            "rawScale" text, normalized float8, votes int);

  DELETE FROM movie_genres WHERE movie_id = ANY(ids);
  INSERT INTO movie_genres (movie_id, genre_id, confidence)
  SELECT x.movie_id, g.id, x.confidence
    FROM jsonb_to_recordset(p_genres) AS x(movie_id uuid, name text, confidence float8)
    JOIN genres g ON g.name = x.name;

  INSERT INTO genre_aliases (provider_key, alias, genre_id)
  SELECT DISTINCT x."providerKey", x.alias, NULL::int FROM jsonb_to_recordset(p_unknown) AS x("providerKey" text, alias text)
  ON CONFLICT (provider_key, alias, genre_id) DO NOTHING;
END
$$;
