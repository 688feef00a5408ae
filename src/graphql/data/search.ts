import { filterConditions, SqlParams, type MovieFilterValues, type MovieSelection, type Ordering } from './movie-list.js';

/**
 * Title search, typo- and accent-tolerant. The query is normalised like every stored title
 * (normalizeTitle: case, accents, punctuation, articles), and the database function
 * moviec_title_candidates (migration 20261121030000_search) returns a bounded set of candidate
 * titles from indexes only: titles starting with the query, and titles containing a word sequence
 * similar to it (pg_trgm word similarity). Each movie ranks by its best title: the mean of word
 * similarity (is the query in the title?) and whole-title similarity (is it the whole title?),
 * in steps of 0.01 so that near-equal matches are ordered by score.
 */

/** Titles starting with the query that a search considers, at most. */
export const SEARCH_PREFIX_LIMIT = 200;
/** Similar titles a search considers, at most: a query matching more sees an arbitrary share of the weaker matches. */
export const SEARCH_FUZZY_LIMIT = 1000;

export const SEARCH_ORDERING: Ordering = {
  name: 'RELEVANCE',
  direction: 'DESC',
  keys: [
    { sql: 'hit.rank', cast: 'float8' },
    { sql: 'coalesce(m.score_value, -1)', cast: 'float8' },
  ],
};

/** Movies with a title matching the normalised query (non-empty), restricted by the filter. */
export function searchSelection(normalizedQuery: string, filter: MovieFilterValues | null): MovieSelection {
  const params = new SqlParams();
  const query = params.add(normalizedQuery, 'text');
  const from = `(SELECT c.movie_id,
                        max(round(((word_similarity(${query}, c.matched) + similarity(${query}, c.matched)) / 2)::numeric, 2))::float8 AS rank
                   FROM moviec_title_candidates(${query}, ${SEARCH_PREFIX_LIMIT}, ${SEARCH_FUZZY_LIMIT}) c
                  GROUP BY c.movie_id) hit
           JOIN movies m ON m.id = hit.movie_id`;
  return { from, conditions: filterConditions(filter, params), params };
}
