import type pg from 'pg';
import type { ProviderDefinition } from '../sources/types.js';
import { CANONICAL_GENRES } from '../sources/genres.js';

/**
 * Writes the reference data that lives in code (providers, canonical genres, genre aliases) into
 * the database. Idempotent, set-based, run after migrations.
 */
export async function syncReferenceData(pool: pg.Pool, providers: ProviderDefinition[]): Promise<void> {
  await pool.query(
    `INSERT INTO genres (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING`,
    [[...CANONICAL_GENRES]],
  );
  await pool.query(
    `INSERT INTO providers (key, name, kind, rating_scale, weights, creates_movies)
     SELECT p.key, p.name, p.kind::"ProviderKind", p.rating_scale, p.weights, p.creates_movies
       FROM jsonb_to_recordset($1::jsonb)
         AS p(key text, name text, kind text, rating_scale text, weights jsonb, creates_movies boolean)
     ON CONFLICT (key) DO UPDATE SET name = excluded.name, kind = excluded.kind,
       rating_scale = excluded.rating_scale, weights = excluded.weights,
       creates_movies = excluded.creates_movies, updated_at = now()`,
    [
      JSON.stringify(
        providers.map((p) => ({
          key: p.key,
          name: p.name,
          kind: p.kind,
          rating_scale: Object.values(p.ratingScales)[0]?.label ?? 'none',
          weights: p.weights,
          creates_movies: p.createsMovies,
        })),
      ),
    ],
  );
  const aliases = providers.flatMap((p) =>
    Object.entries(p.genreAliases).flatMap(([alias, genres]) => genres.map((genre) => ({ provider: p.key, alias, genre }))),
  );
  const unknownCanonical = aliases.filter((a) => !(CANONICAL_GENRES as readonly string[]).includes(a.genre));
  if (unknownCanonical.length) {
    throw new Error(`Genre aliases name unknown canonical genres: ${unknownCanonical.map((a) => a.genre).join(', ')}`);
  }
  await pool.query(
    `INSERT INTO genre_aliases (provider_key, alias, genre_id)
     SELECT a.provider, a.alias, g.id
       FROM jsonb_to_recordset($1::jsonb) AS a(provider text, alias text, genre text)
       JOIN genres g ON g.name = a.genre
     ON CONFLICT (provider_key, alias, genre_id) DO NOTHING`,
    [JSON.stringify(aliases)],
  );
  // A spelling once recorded as unknown and now kept as a tag: drop its placeholder row.
  const tags = providers.flatMap((p) => Object.entries(p.genreAliases).filter(([, g]) => !g.length).map(([alias]) => ({ provider: p.key, alias })));
  await pool.query(
    `DELETE FROM genre_aliases u USING jsonb_to_recordset($1::jsonb) AS t(provider text, alias text)
      WHERE u.genre_id IS NULL AND u.provider_key = t.provider AND u.alias = t.alias`,
    [JSON.stringify(tags)],
  );
  // A spelling once recorded as unknown is now known: drop its placeholder row.
  await pool.query(
    `DELETE FROM genre_aliases u WHERE u.genre_id IS NULL
        AND EXISTS (SELECT 1 FROM genre_aliases k
                     WHERE k.provider_key = u.provider_key AND k.alias = u.alias AND k.genre_id IS NOT NULL)`,
  );
}
