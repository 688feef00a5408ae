import { filterConditions, SqlParams, type MovieSelection, type Ordering } from './movie-list.js';

/**
 * Title search: movies whose curated title or any provider title contains the query
 * (case-insensitive), ranked by pg_trgm similarity, then by votes. A later issue makes it typo tolerant.
 */

export const SEARCH_ORDERING: Ordering = {
  name: 'RELEVANCE',
  direction: 'DESC',
  keys: [
    { sql: 'hit.rank', cast: 'float8' },
    { sql: 'coalesce(m.score_votes, -1)', cast: 'int4' },
  ],
};

export function searchSelection(query: string, genres: string[] | null | undefined): MovieSelection {
  const params = new SqlParams();
  const text = params.add(query, 'text');
  const pattern = params.add(`%${query.replace(/[\\%_]/g, '\\$&')}%`, 'text');
  const from = `movies m CROSS JOIN LATERAL (
      SELECT greatest(similarity(m.title, ${text}), coalesce(max(similarity(t.title, ${text})), 0))::float8 AS rank
        FROM movie_titles t WHERE t.movie_id = m.id) hit`;
  const matches = `(m.title ILIKE ${pattern} OR EXISTS (SELECT 1 FROM movie_titles t WHERE t.movie_id = m.id AND t.title ILIKE ${pattern}))`;
  return { from, conditions: [matches, ...filterConditions({ genres }, params)], params };
}
