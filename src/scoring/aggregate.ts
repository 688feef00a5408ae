import { createHash } from 'node:crypto';
import type pg from 'pg';
import { withTransaction } from '../db/pool.js';
import { ADAPTERS } from '../sources/registry.js';
import type { ProviderKey } from '../sources/types.js';
import { normalizeTitle } from '../matching/normalize-title.js';
import { computeAggregate, type DefinitionLookup } from './compute.js';
import { loadPriors } from './priors.js';
import type { AggregateResult, CuratedFields, RecordInput } from './types.js';

export interface AggregateOutcome {
  /** Movies whose curated state changed and was written. */
  changed: string[];
  /** Of those, movies aggregated for the first time (new in the catalogue). */
  created: string[];
  /** Movies left without any provider record, removed. */
  removed: string[];
  unchanged: number;
}

const lookup: DefinitionLookup = (key) => ADAPTERS[key as ProviderKey]?.definition;

/**
 * Recomputes curated movies from their provider records, set-based: one statement per table for
 * the whole batch. The movies are locked (in id order, so concurrent batches cannot deadlock)
 * for the transaction, so two aggregations of one movie serialise instead of interleaving, and a
 * movie is written only when its result differs from the stored one.
 */
export async function aggregateMovies(pool: pg.Pool, movieIds: string[]): Promise<AggregateOutcome> {
  const ids = [...new Set(movieIds)].sort();
  if (ids.length === 0) return { changed: [], created: [], removed: [], unchanged: 0 };
  return withTransaction(pool, async (client) => {
    const { rows: locked } = await client.query<{ id: string; aggregate_hash: string | null; locks: Partial<CuratedFields> }>(
      `SELECT id, aggregate_hash, locks FROM movies WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [ids],
    );
    const records = await loadRecords(client, locked.map((m) => m.id));
    const priors = await loadPriors(client);
    const results = new Map<string, { result: AggregateResult; hash: string }>();
    const removed: string[] = [];
    for (const movie of locked) {
      const result = computeAggregate(records.get(movie.id) ?? [], lookup, priors, movie.locks);
      if (!result) {
        removed.push(movie.id);
        continue;
      }
      const hash = createHash('sha1').update(JSON.stringify(result)).digest('hex');
      if (hash !== movie.aggregate_hash) results.set(movie.id, { result, hash });
    }
    if (removed.length) await client.query('DELETE FROM movies WHERE id = ANY($1::uuid[])', [removed]);
    if (results.size) await writeResults(client, results);
    const created = locked.filter((m) => m.aggregate_hash === null && results.has(m.id)).map((m) => m.id);
    return { changed: [...results.keys()], created, removed, unchanged: locked.length - results.size - removed.length };
  });
}

async function loadRecords(client: pg.PoolClient, movieIds: string[]): Promise<Map<string, RecordInput[]>> {
  const { rows } = await client.query<RecordInput & { movieId: string }>(
    `SELECT movie_id AS "movieId", provider_key AS "providerKey", external_id AS "externalId", title,
            original_title AS "originalTitle", year, to_char(release_date, 'YYYY-MM-DD') AS "releaseDate",
            runtime_minutes AS "runtimeMinutes", genres, ratings, imdb_id AS "imdbId", overview,
            poster_url AS "posterUrl", is_adult AS "isAdult"
       FROM provider_records WHERE movie_id = ANY($1::uuid[])`,
    [movieIds],
  );
  const byMovie = new Map<string, RecordInput[]>();
  for (const { movieId, ...record } of rows) {
    const list = byMovie.get(movieId) ?? [];
    list.push(record);
    byMovie.set(movieId, list);
  }
  return byMovie;
}

async function writeResults(client: pg.PoolClient, results: Map<string, { result: AggregateResult; hash: string }>) {
  const entries = [...results.entries()];
  const ids = entries.map(([id]) => id);
  const movies = entries.map(([id, { result, hash }]) => ({
    id,
    hash,
    ...result.fields,
    provenance: result.provenance,
    score_value: result.score?.value ?? null,
    score_confidence: result.score?.confidence ?? null,
    score_votes: result.score?.votes ?? null,
    score_provider_count: result.score?.providerCount ?? 0,
  }));
  await client.query(
    `UPDATE movies m SET
       title = x."title", original_title = x."originalTitle", year = x."year", release_date = x."releaseDate"::date,
       runtime_minutes = x."runtimeMinutes", overview = x."overview", poster_url = x."posterUrl", is_adult = x."isAdult",
       imdb_id = coalesce(m.imdb_id, x."imdbId"), provenance = x.provenance,
       score_value = x.score_value, score_confidence = x.score_confidence, score_votes = x.score_votes,
       score_provider_count = x.score_provider_count, aggregate_hash = x.hash,
       version = m.version + 1, updated_at = now()
      FROM jsonb_to_recordset($1::jsonb) AS x(
        id uuid, hash text, "title" text, "originalTitle" text, "year" int, "releaseDate" text, "runtimeMinutes" int,
        "overview" text, "posterUrl" text, "isAdult" boolean, "imdbId" text, provenance jsonb,
        score_value float8, score_confidence float8, score_votes int, score_provider_count int)
     WHERE m.id = x.id`,
    [JSON.stringify(movies)],
  );

  await client.query('DELETE FROM movie_titles WHERE movie_id = ANY($1::uuid[])', [ids]);
  await client.query(
    `INSERT INTO movie_titles (movie_id, provider_key, title, normalized, is_original, score)
     SELECT x.movie_id, x."providerKey", x.title, x.normalized, x."isOriginal", x.score
       FROM jsonb_to_recordset($1::jsonb)
         AS x(movie_id uuid, "providerKey" text, title text, normalized text, "isOriginal" boolean, score float8)
     ON CONFLICT (movie_id, provider_key, title) DO NOTHING`,
    [
      JSON.stringify(
        entries.flatMap(([id, { result }]) =>
          result.titles.map((t) => ({ movie_id: id, ...t, normalized: normalizeTitle(t.title) })),
        ),
      ),
    ],
  );

  await client.query('DELETE FROM ratings WHERE movie_id = ANY($1::uuid[])', [ids]);
  await client.query(
    `INSERT INTO ratings (movie_id, provider_key, kind, raw_value, raw_scale, normalized, votes)
     SELECT x.movie_id, x."providerKey", x.kind, x."rawValue", x."rawScale", x.normalized, x.votes
       FROM jsonb_to_recordset($1::jsonb) AS x(movie_id uuid, "providerKey" text, kind text, "rawValue" float8,
                                               "rawScale" text, normalized float8, votes int)`,
    [JSON.stringify(entries.flatMap(([id, { result }]) => result.ratings.map((r) => ({ movie_id: id, ...r }))))],
  );

  await client.query('DELETE FROM movie_genres WHERE movie_id = ANY($1::uuid[])', [ids]);
  await client.query(
    `INSERT INTO movie_genres (movie_id, genre_id, confidence)
     SELECT x.movie_id, g.id, x.confidence
       FROM jsonb_to_recordset($1::jsonb) AS x(movie_id uuid, name text, confidence float8)
       JOIN genres g ON g.name = x.name`,
    [JSON.stringify(entries.flatMap(([id, { result }]) => result.genres.map((g) => ({ movie_id: id, ...g }))))],
  );

  const unknown = entries.flatMap(([, { result }]) => result.unknownGenres);
  if (unknown.length) {
    await client.query(
      `INSERT INTO genre_aliases (provider_key, alias, genre_id)
       SELECT DISTINCT x."providerKey", x.alias, NULL::int FROM jsonb_to_recordset($1::jsonb) AS x("providerKey" text, alias text)
       ON CONFLICT (provider_key, alias, genre_id) DO NOTHING`,
      [JSON.stringify(unknown)],
    );
  }
}

/** Every movie id, in chunks, for `moviec aggregate --all`. */
export async function* allMovieIds(pool: pg.Pool, chunk = 2000): AsyncGenerator<string[]> {
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const { rows } = await pool.query<{ id: string }>(
      'SELECT id FROM movies WHERE id > $1 ORDER BY id LIMIT $2',
      [after, chunk],
    );
    if (rows.length === 0) return;
    yield rows.map((r) => r.id);
    after = rows[rows.length - 1]!.id;
  }
}
