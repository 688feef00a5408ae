-- moviec_similar_words in PL/pgSQL (issue 16 point 6). As a SQL function with a SET clause it could
-- not be inlined and planned its query anew on every call: ~0.3 ms of PostgreSQL CPU in each
-- dictionary lookup of a long typed word, which nearly every computed suggestion of two or more
-- words makes (the words run together). PL/pgSQL keeps the query's plan for the session. Same
-- signature, same answers.
CREATE OR REPLACE FUNCTION "moviec_similar_words"(probe TEXT, lim INTEGER)
RETURNS TABLE ("word" TEXT, "movies" INTEGER)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET pg_trgm.similarity_threshold = 0.25
AS $$
BEGIN
  RETURN QUERY
  SELECT w.word::text, w.movies FROM search_words w
   WHERE w.word % probe AND abs(length(w.word) - length(probe)) <= 2
   ORDER BY similarity(w.word, probe) DESC, w.word
   LIMIT lim;
END
$$;
