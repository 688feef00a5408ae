import type pg from 'pg';

/** Existence checks the entry points make before acting on an id a person typed. */

export async function importRunExists(pool: pg.Pool, runId: string): Promise<boolean> {
  const { rowCount } = await pool.query('SELECT 1 FROM import_runs WHERE id = $1::bigint', [runId]);
  return Boolean(rowCount);
}

/** Canonical genres that at least one movie has, with how many movies have each (the website's genre choices). */
export async function genresInUse(pool: pg.Pool): Promise<{ name: string; movies: number }[]> {
  const { rows } = await pool.query<{ name: string; movies: number }>(
    `SELECT g.name, count(*)::int AS movies FROM movie_genres mg JOIN genres g ON g.id = mg.genre_id
      GROUP BY g.name ORDER BY g.name`,
  );
  return rows;
}
