-- moviec_search_text, the SQL twin of normalizeTitle (src/matching/normalize-title.ts), made
-- independent of the database's locale. The first version lower-cased and matched letters with the
-- database's collation: under the C locale (embedded PostgreSQL, many managed servers) "Ç" or "Ł"
-- stayed upper case and every non-ASCII letter was dropped as punctuation, so a locked title such
-- as "Çağan" was searchable as "agan". This one does what the TypeScript does, in the same order:
-- Unicode NFKD, combining accents removed, lower case, `&` as "and", apostrophes dropped, every run
-- of characters other than letters and digits as one space, a leading or trailing article dropped.
-- Letters and case follow ICU's root locale ("und-x-icu"), whatever the database's own collation.
-- test/api-search-sql.test.ts keeps the two in step. A server built without ICU keeps the first
-- version (with a notice): only searches for locked titles with non-ASCII letters suffer.
DO $migration$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu') THEN
    EXECUTE $function$
      CREATE OR REPLACE FUNCTION "moviec_search_text"(title TEXT) RETURNS TEXT
      LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
      AS $body$
        SELECT coalesce(
                 nullif(regexp_replace(regexp_replace(plain,
                   '^(the|a|an|le|la|les|l|el|los|las|il|lo|der|die|das|de|het) ', ''),
                   ' (the|a|an|le|la|les|l|el|los|las|il|lo|der|die|das|de|het)$', ''), ''),
                 plain)
          FROM (SELECT btrim(regexp_replace(
                         translate(
                           replace(
                             regexp_replace(lower(normalize(title, NFKD) COLLATE "und-x-icu"), '[\u0300-\u036f]', '', 'g'),
                             '&', ' and '),
                           '''’`', ''),
                         '[^[:alnum:]]+', ' ', 'g')) AS plain) AS normalized
      $body$
    $function$;
    -- The expression index over locked titles holds values of the old function.
    REINDEX INDEX "movies_locked_title_trgm_idx";
  ELSE
    RAISE NOTICE 'moviec: this PostgreSQL has no ICU collations; moviec_search_text keeps folding ASCII only';
  END IF;
END
$migration$;
