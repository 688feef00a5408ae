-- A title without a letter or digit ("?", "...", "!!!": real IMDb titles) normalises to the empty
-- form. Its tokens were {NULL} (kept from the first SQL version, whose array_agg of no rows was
-- NULL), and the search refresh unnested that NULL into a posting, whose token is NOT NULL: the
-- aggregation of such a movie failed, and with it every movie of its chunk, job or bulk rebuild.
-- Such a title has no tokens now (nothing a search could match it by); the rest is unchanged.
CREATE OR REPLACE FUNCTION "moviec_search_tokens_words"(normalized TEXT) RETURNS TEXT[]
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
  IF cardinality(words) = 0 THEN
    RETURN '{}'::TEXT[];
  END IF;
  RETURN words || ('=' || whole);
END
$$;

CREATE OR REPLACE FUNCTION "moviec_search_tokens"(normalized TEXT) RETURNS TEXT[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN normalized IS NULL THEN NULL
    WHEN normalized ~ '(^| )[ivx]+( |$)' THEN moviec_search_tokens_words(normalized)
    WHEN array_remove(string_to_array(normalized, ' '), '') = '{}' THEN '{}'::TEXT[]
    ELSE array_remove(string_to_array(normalized, ' '), '') || ('=' || replace(normalized, ' ', ''))
  END
$$;
