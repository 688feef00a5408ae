import type pg from 'pg';

/**
 * Every name a genre goes by: the canonical names and every provider's spelling of them (genre
 * aliases, written from the provider registry by syncReferenceData). What genre filters accept.
 */
export interface GenreSpelling {
  /** As written: "Sci-Fi", "Science Fiction & Fantasy", "Drama". */
  spelling: string;
  /** The canonical genres it stands for (an alias may name several). */
  genreIds: number[];
  /** Whether this is a canonical genre's own name (listed to clients), not a provider's alias. */
  canonical: boolean;
}

export async function loadGenreSpellings(pool: pg.Pool): Promise<GenreSpelling[]> {
  const { rows } = await pool.query<{ spelling: string; genre_ids: number[]; canonical: boolean }>(
    `SELECT spelling, array_agg(DISTINCT genre_id ORDER BY genre_id) AS genre_ids, bool_or(canonical) AS canonical
       FROM (SELECT g.name AS spelling, g.id AS genre_id, true AS canonical FROM genres g
             UNION ALL
             SELECT a.alias, a.genre_id, false FROM genre_aliases a WHERE a.genre_id IS NOT NULL) s
      GROUP BY spelling
      ORDER BY spelling`,
  );
  return rows.map((r) => ({ spelling: r.spelling, genreIds: r.genre_ids, canonical: r.canonical }));
}
