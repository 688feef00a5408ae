-- moviec_search_tokens (20261130060000) as a PL/pgSQL loop (issue 18 point 5): the same tokens in
-- the same order, the {NULL} of a title without words included, at about a quarter of the cost.
-- The SQL version aggregates over unnest, so it is never inlined: each call plans and runs a small
-- query with an aggregate (~29 us); the loop costs ~7 us. It is most of the search refresh that
-- every aggregation write runs (moviec_search_refresh tokenises every title of every written movie).
CREATE OR REPLACE FUNCTION "moviec_search_tokens"(normalized TEXT) RETURNS TEXT[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
  raw TEXT;
  w TEXT;
  words TEXT[] := '{}';
  whole TEXT := '';
BEGIN
  FOREACH raw IN ARRAY string_to_array(normalized, ' ') LOOP
    CONTINUE WHEN raw = '';
    w := moviec_search_word(raw);
    words := words || w;
    whole := whole || w;
  END LOOP;
  -- The SQL version's array_agg of no rows is NULL, and NULL || '=' || NULL is {NULL}.
  IF cardinality(words) = 0 THEN
    RETURN ARRAY[NULL]::TEXT[];
  END IF;
  RETURN words || ('=' || whole);
END
$$;
