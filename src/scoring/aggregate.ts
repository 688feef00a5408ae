import { createHash } from 'node:crypto';
import type pg from 'pg';
import { findProvider } from '../sources/registry.js';
import { normalizeTitle } from '../matching/normalize-title.js';
import { computeAggregate, type DefinitionLookup } from './compute.js';
import { PRIORS_SQL, priorLookup, type PriorRow } from './priors.js';
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

const lookup: DefinitionLookup = (key) => findProvider(key)?.definition;

/**
 * Recomputes curated movies from their provider records, set-based: one statement per table for
 * the whole batch. The movies are locked (in id order, so concurrent batches cannot deadlock)
 * for the transaction, so two aggregations of one movie serialise instead of interleaving, and a
 * movie is written only when its result differs from the stored one.
 */
export async function aggregateMovies(pool: pg.Pool, movieIds: string[]): Promise<AggregateOutcome> {
  const ids = [...new Set(movieIds)].sort();
  if (ids.length === 0) return { changed: [], created: [], removed: [], unchanged: 0 };
  const bad = ids.find((id) => !UUID.test(id));
  if (bad !== undefined) throw new Error(`not a movie id: ${JSON.stringify(bad)}`);
  // Two round trips whatever the batch size: (BEGIN; lock; records; priors) and
  // ([delete removed;] [write results;] COMMIT), as multi-statement simple queries. Each statement
  // still takes its own snapshot, so the records are read after the locks are held.
  const idArray = `'{${ids.join(',')}}'::uuid[]`;
  const client = await pool.connect();
  try {
    const read = (await client.query(
      `BEGIN;
       SELECT id, aggregate_hash, locks FROM movies WHERE id = ANY(${idArray}) ORDER BY id FOR UPDATE;
       ${RECORDS_SQL} WHERE movie_id = ANY(${idArray});
       ${PRIORS_SQL}`,
    )) as unknown as pg.QueryResult[];
    const locked = read[1]!.rows as { id: string; aggregate_hash: string | null; locks: Partial<CuratedFields> }[];
    const records = groupRecords(read[2]!.rows as (RecordInput & { movieId: string })[]);
    const priors = priorLookup(read[3]!.rows as PriorRow[]);
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
    const write: string[] = [];
    if (removed.length) write.push(`DELETE FROM movies WHERE id = ANY('{${removed.join(',')}}'::uuid[]);`);
    if (results.size) write.push(writeResultsSql(client, results));
    write.push('COMMIT');
    await client.query(write.join('\n'));
    const created = locked.filter((m) => m.aggregate_hash === null && results.has(m.id)).map((m) => m.id);
    return { changed: [...results.keys()], created, removed, unchanged: locked.length - results.size - removed.length };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const RECORDS_SQL = `SELECT movie_id AS "movieId", provider_key AS "providerKey", external_id AS "externalId", title,
            original_title AS "originalTitle", year, to_char(release_date, 'YYYY-MM-DD') AS "releaseDate",
            runtime_minutes AS "runtimeMinutes", genres, ratings, imdb_id AS "imdbId", overview,
            poster_url AS "posterUrl", is_adult AS "isAdult"
       FROM provider_records`;

function groupRecords(rows: (RecordInput & { movieId: string })[]): Map<string, RecordInput[]> {
  const byMovie = new Map<string, RecordInput[]>();
  for (const { movieId, ...record } of rows) {
    const list = byMovie.get(movieId) ?? [];
    list.push(record);
    byMovie.set(movieId, list);
  }
  return byMovie;
}

/**
 * The write of changed movies as one statement: moviec_write_aggregates (migration
 * 20261122000000) updates the movies and replaces their titles, ratings and genres, and records
 * unknown genre names. The JSON arguments are passed as escaped literals (simple query protocol).
 */
function writeResultsSql(client: pg.PoolClient, results: Map<string, { result: AggregateResult; hash: string }>): string {
  const entries = [...results.entries()];
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
  const titles = entries.flatMap(([id, { result }]) =>
    result.titles.map((t) => ({ movie_id: id, ...t, normalized: normalizeTitle(t.title) })),
  );
  const ratings = entries.flatMap(([id, { result }]) => result.ratings.map((r) => ({ movie_id: id, ...r })));
  const genres = entries.flatMap(([id, { result }]) => result.genres.map((g) => ({ movie_id: id, ...g })));
  const unknown = entries.flatMap(([, { result }]) => result.unknownGenres);
  const arg = (value: unknown) => `${client.escapeLiteral(JSON.stringify(value))}::jsonb`;
  return `SELECT moviec_write_aggregates(${[movies, titles, ratings, genres, unknown].map(arg).join(', ')});`;
}

/**
 * `moviec aggregate --all`: every movie, `chunk` ids per transaction with `parallel` chunks in
 * flight on their own connections. Chunks are disjoint and each locks its movies in id order, so
 * they neither interleave with nor deadlock against other aggregations.
 */
export async function aggregateAll(
  pool: pg.Pool,
  options: { chunk?: number; parallel?: number; onChunk?: (outcome: AggregateOutcome, ids: string[]) => Promise<void> | void } = {},
): Promise<{ movies: number; changed: number; removed: number }> {
  const totals = { movies: 0, changed: 0, removed: 0 };
  const inFlight = new Set<Promise<void>>();
  const failed: { error?: Error } = {};
  for await (const ids of allMovieIds(pool, options.chunk ?? 5000)) {
    if (failed.error) break;
    const task: Promise<void> = aggregateMovies(pool, ids)
      .then(async (outcome) => {
        totals.movies += ids.length;
        totals.changed += outcome.changed.length;
        totals.removed += outcome.removed.length;
        await options.onChunk?.(outcome, ids);
      })
      .catch((error: unknown) => {
        failed.error ??= error instanceof Error ? error : new Error(String(error));
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
    if (inFlight.size >= (options.parallel ?? 2)) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failed.error) throw failed.error;
  return totals;
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
