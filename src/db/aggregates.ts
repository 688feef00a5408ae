import type pg from 'pg';
import type { SourceRecord } from '../sources/types.js';
import type { CopyLines } from './bulk-lines.js';
import { movieEventsSql, type MovieEventBatch } from './movie-events.js';
import { PRIORS_SQL, type PriorRow } from './scoring-priors.js';
import { sqlLiteral } from './sql-literal.js';
import { STORE_TITLE_FORMS_SQL, type TitleForm } from './title-forms.js';

/**
 * The curated tables as aggregation writes them (movies, movie_titles, ratings, movie_genres, and
 * unknown genre spellings), in one transaction of two round trips per batch.
 */

/** A movie locked for aggregation: its last result's hash, its admin locks, and what change events compare with. */
export interface LockedMovie {
  id: string;
  aggregate_hash: string | null;
  locks: Record<string, unknown>;
  score_value: number | null;
  /** Hash of the provider records linked when last aggregated (movie.match_changed). */
  links_hash: string | null;
}

/** A provider record as aggregation reads it: the adapter's fields (no TMDB id or payload), its provider and movie. */
export interface AggregationRecordRow extends Omit<SourceRecord, 'tmdbId' | 'payload'> {
  providerKey: string;
  movieId: string;
  /** Missing from its provider's last full file, still within the grace period (db/withdrawals.ts). */
  withdrawn: boolean;
}

export interface AggregationRead {
  locked: LockedMovie[];
  records: AggregationRecordRow[];
  priors: PriorRow[];
}

/** One changed movie's row for moviec_write_aggregates (snake_case keys as the function reads them). */
export interface MovieAggregateRow {
  id: string;
  hash: string;
  provenance: Record<string, string>;
  score_value: number | null;
  score_confidence: number | null;
  score_votes: number | null;
  score_provider_count: number;
  /** The hash of its linked records when they changed (written with the row); null: unchanged. */
  links_hash?: string | null;
  [field: string]: unknown;
}

/** What aggregation writes: movies left without records (deleted) and the changed movies with their titles, ratings and genres. */
export interface AggregateWrites {
  removed: string[];
  movies: MovieAggregateRow[];
  titles: ({ movie_id: string; normalized: string } & Record<string, unknown>)[];
  ratings: ({ movie_id: string } & Record<string, unknown>)[];
  genres: ({ movie_id: string } & Record<string, unknown>)[];
  unknownGenres: { providerKey: string; alias: string }[];
  /** Normalised forms of titles that only exist on movies (locked titles), stored before the movies are written. */
  titleForms?: TitleForm[];
  /** Change events recorded in the same transaction (moviec_movie_events: webhooks, subscriptions). */
  events?: MovieEventBatch;
  /**
   * The bulk rebuild's form of the changed movies (db/bulk-lines.ts): their rows as COPY lines,
   * built as each movie is computed, instead of `movies`, `titles`, `ratings` and `genres` (left empty).
   */
  copy?: CopyLines;
}

/** The provider records aggregation reads (callers add `AND movie_id …`). */
export const RECORDS_SQL = `SELECT movie_id AS "movieId", provider_key AS "providerKey", external_id AS "externalId", title,
            original_title AS "originalTitle", year, to_char(release_date, 'YYYY-MM-DD') AS "releaseDate",
            runtime_minutes AS "runtimeMinutes",
            -- genres as JSON: JSON.parse reads it in a fraction of the time pg's text[] parser takes (the same array).
            to_json(genres) AS genres, ratings, imdb_id AS "imdbId", overview,
            poster_url AS "posterUrl", is_adult AS "isAdult", withdrawn_at IS NOT NULL AS withdrawn
       FROM provider_records
      -- A record withdrawn from its provider's full file counts until its grace period is over (db/withdrawals.ts).
      WHERE withdrawal_applied_at IS NULL`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Locks the movies (in id order, so concurrent batches cannot deadlock) for one transaction, reads
 * their provider records and the scoring priors, lets `compute` decide what to write, and writes
 * it. Two round trips whatever the batch size: (BEGIN; lock; records; priors) and ([delete
 * removed;] [write results;] COMMIT), as multi-statement simple queries (three with `takeQueued`:
 * the queued jobs are taken first, their movies locked with `ids`); each statement still takes
 * its own snapshot, so the records are read after the locks are held. `ids` must be sorted and distinct.
 */
export async function aggregateLocked<T>(
  pool: pg.Pool,
  ids: string[],
  compute: (read: AggregationRead) => { writes: AggregateWrites; result: T },
  options: { takeQueued?: QueuedAggregation } = {},
): Promise<T> {
  const bad = ids.find((id) => !UUID.test(id));
  if (bad !== undefined) throw new Error(`not a movie id: ${JSON.stringify(bad)}`);
  const client = await pool.connect();
  try {
    let all = ids;
    let begin = 'BEGIN;';
    const take = options.takeQueued;
    if (take && take.limit > 0) {
      // Queued per-movie jobs taken into this transaction: deleted here, so they are done when it
      // commits and back in the queue, untouched, when it rolls back.
      const { rows } = (await client.query(`BEGIN; ${takeQueuedSql(take)}`) as unknown as pg.QueryResult[])[1]!;
      const taken = rows.map((r: { movie_id: string }) => r.movie_id);
      take.taken = taken.length;
      if (taken.length) all = [...new Set([...ids, ...taken.map((id) => id.toLowerCase())])].sort();
      begin = '';
    }
    const idArray = `'{${all.join(',')}}'::uuid[]`;
    const read = (await client.query(
      `${begin}
       SELECT id, aggregate_hash, locks, score_value, links_hash FROM movies WHERE id = ANY(${idArray}) ORDER BY id FOR UPDATE;
       ${RECORDS_SQL} AND movie_id = ANY(${idArray});
       ${PRIORS_SQL}`,
    )) as unknown as pg.QueryResult[];
    const at = begin ? 1 : 0;
    const { writes, result } = compute({
      locked: read[at]!.rows as LockedMovie[],
      records: read[at + 1]!.rows as AggregationRecordRow[],
      priors: read[at + 2]!.rows as PriorRow[],
    });
    const write: string[] = [];
    if (writes.removed.length) write.push(`DELETE FROM movies WHERE id = ANY('{${writes.removed.join(',')}}'::uuid[]);`);
    if (writes.titleForms?.length) write.push(`${STORE_TITLE_FORMS_SQL.replace('$1::jsonb', `${sqlLiteral(JSON.stringify(writes.titleForms))}::jsonb`)};`);
    if (writes.movies.length) write.push(writeAggregatesSql(client, writes));
    const events = writes.events ? movieEventsSql(client, writes.events) : '';
    if (events) write.push(events);
    write.push('COMMIT');
    await client.query(write.join('\n'));
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Queued `aggregate-movie` jobs an aggregation may take over (services/aggregation.ts): up to
 * `limit` jobs of task `task` that a worker could start now (not locked, attempts left, due, in no
 * named queue, without flags), in Graphile Worker's own order. `taken` is set to how many were taken.
 */
export interface QueuedAggregation {
  task: string;
  limit: number;
  /** Take nothing unless at least this many such jobs wait (a burst); a few are left to the workers. */
  min?: number;
  taken?: number;
}

function takeQueuedSql({ task, limit, min = 1 }: QueuedAggregation): string {
  const due = `FROM graphile_worker._private_jobs q
              WHERE q.is_available AND q.job_queue_id IS NULL AND q.flags IS NULL AND q.run_at <= now()
                AND q.task_id = (SELECT t.id FROM graphile_worker._private_tasks t WHERE t.identifier = ${sqlLiteral(task)})
                AND q.payload->>'movieId' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'`;
  // SKIP LOCKED: jobs a worker is fetching, or another aggregation is taking, are left to them.
  return `DELETE FROM graphile_worker._private_jobs j
           WHERE (SELECT count(*) FROM (SELECT 1 ${due} LIMIT ${Math.floor(min)}) burst) >= ${Math.floor(min)}
             AND j.id IN (SELECT q.id ${due} ORDER BY q.priority, q.run_at, q.id LIMIT ${Math.floor(limit)} FOR UPDATE SKIP LOCKED)
          RETURNING j.payload->>'movieId' AS movie_id`;
}

/**
 * The write of changed movies as one statement: moviec_write_aggregates (migration
 * 20261122000000) updates the movies and replaces their titles, ratings and genres, and records
 * unknown genre names. The JSON arguments are passed as escaped literals (simple query protocol).
 */
function writeAggregatesSql(client: pg.PoolClient, writes: AggregateWrites): string {
  const arg = (value: unknown) => `${sqlLiteral(JSON.stringify(value))}::jsonb`;
  return `SELECT moviec_write_aggregates(${[writes.movies, writes.titles, writes.ratings, writes.genres, writes.unknownGenres].map(arg).join(', ')});`;
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
