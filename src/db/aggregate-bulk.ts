import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { RECORDS_SQL, type AggregateWrites, type AggregationRecordRow, type LockedMovie } from './aggregates.js';
import { movieEventsSql } from './movie-events.js';
import { setAsideIndexesAndKeys, type SetAside } from './set-aside.js';
import { PRIORS_SQL, type PriorRow } from './scoring-priors.js';
import { sqlLiteral } from './sql-literal.js';
import { copyText } from './staging.js';
import { STORE_TITLE_FORMS_SQL } from './title-forms.js';

/**
 * A full rebuild of a catalogue whose movies were mostly never aggregated (a first import: issue
 * 18 point 5), as one transaction that writes in bulk instead of row at a time:
 *
 * - the curated tables and the search index's tables are locked ACCESS EXCLUSIVE for the
 *   transaction, their non-unique indexes and the curated tables' foreign keys dropped, and built
 *   again from the finished tables at the end (keys validated in one join each), as the import's
 *   first load does for its own tables (bulk-load.ts). The unique indexes stay: the writes and
 *   the search refresh look rows up through them;
 * - each chunk's results arrive by COPY into temporary tables and are written by one set-based
 *   statement per table (no JSON to parse), the search rows by one moviec_search_refresh call;
 * - reads are queued one chunk ahead on the same connection, so PostgreSQL writes a chunk while
 *   Node computes the next.
 *
 * It writes exactly what aggregateMovies writes (test/scoring/rebuild-equivalence.test.ts): a
 * movie's titles, ratings and genres are the computed ones, its search rows what the refresh makes
 * of them. A failed or interrupted rebuild rolls back whole (indexes and keys included): the
 * catalogue stays as it was. Readers of the locked tables wait until it commits.
 */

/** Tables whose non-unique indexes are built again after the rows (the curated tables, the search index). */
const INDEXED_TABLES = ['movies', 'movie_titles', 'movie_genres', 'ratings', 'movie_search', 'search_postings', 'search_words'];
/** Tables whose foreign keys are dropped and validated again at the end (their per-row checks were a third of a write). */
const KEYED_TABLES = ['movie_titles', 'movie_genres', 'ratings', 'movie_search'];

export interface BulkAggregation {
  /** The scoring priors, read once in the transaction. */
  priors: PriorRow[];
  /** Whether an enabled webhook wants change events (read once; `webhooks` is locked against changes meanwhile). */
  webhooks: boolean;
  /** The next movies after `after` in id order with their records (after the last write settled). */
  read(after: string, limit: number): Promise<{ locked: LockedMovie[]; records: AggregationRecordRow[] }>;
  /**
   * Writes one chunk's results (`fresh`: movies never aggregated before, which hold no titles,
   * ratings or genres yet); the caller computes the next chunk meanwhile and reads only once it settled.
   */
  write(writes: AggregateWrites, fresh: Set<string>): Promise<void>;
  /** Builds the dropped indexes and keys again, refreshes the planner's statistics, commits. */
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export interface BulkAggregationOptions {
  /** How long to wait for the tables' locks (readers, other aggregations) before giving up: null is returned. */
  lockTimeoutMs?: number;
  /**
   * Queued jobs of these tasks that a worker could start now are deleted in the transaction: the
   * rebuild does what they would (done when it commits, back in the queue when it rolls back).
   */
  takeQueued?: readonly string[];
  /**
   * Run in the transaction once the tables are held, before the priors are read: the scoring fit
   * of the ratings the rebuild will write (scoring/rebuild-fit.ts), so every movie is scored once.
   */
  beforePriors?: (client: pg.PoolClient) => Promise<unknown>;
}

/** How many movies were never aggregated, of how many. */
export async function countFreshMovies(pool: pg.Pool): Promise<{ fresh: number; total: number }> {
  const { rows } = await pool.query<{ fresh: string; total: string }>(
    'SELECT count(*) FILTER (WHERE aggregate_hash IS NULL) AS fresh, count(*) AS total FROM movies',
  );
  return { fresh: Number(rows[0]!.fresh), total: Number(rows[0]!.total) };
}

/** How many of these movies were never aggregated (a cheap look before countFreshMovies' scan of every movie). */
export async function countFreshAmong(pool: pg.Pool, ids: string[]): Promise<number> {
  const { rows } = await pool.query<{ fresh: number }>(
    'SELECT count(*)::int AS fresh FROM movies WHERE id = ANY($1::uuid[]) AND aggregate_hash IS NULL',
    [ids],
  );
  return rows[0]!.fresh;
}

const TEMP_TABLES = `
  CREATE TEMP TABLE moviec_bulk_movies (
    id uuid, hash text, links_hash text, title text, original_title text, year int, release_date date, runtime_minutes int,
    overview text, poster_url text, is_adult boolean, imdb_id text, provenance jsonb, score_value float8,
    score_confidence float8, score_votes int, score_provider_count int, score_critics float8, score_audience float8
  ) ON COMMIT DROP;
  CREATE TEMP TABLE moviec_bulk_titles (
    n int, movie_id uuid, provider_key text, title text, normalized text, is_original boolean, score float8
  ) ON COMMIT DROP;
  CREATE TEMP TABLE moviec_bulk_ratings (
    movie_id uuid, provider_key text, kind text, raw_value float8, raw_scale text, normalized float8, calibrated float8,
    prior_mean float8, prior_votes float8, votes int
  ) ON COMMIT DROP;
  CREATE TEMP TABLE moviec_bulk_genres (movie_id uuid, name text, confidence float8) ON COMMIT DROP;`;

/**
 * Opens the bulk rebuild's transaction on a connection of its own: locks, drops the indexes and
 * keys. Null when the locks are not granted within `lockTimeoutMs` (nothing changed then).
 */
export async function beginBulkAggregation(pool: pg.Pool, options: BulkAggregationOptions = {}): Promise<BulkAggregation | null> {
  const client = await pool.connect();
  let open = false;
  try {
    await client.query('BEGIN');
    open = true;
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(options.lockTimeoutMs ?? 10_000))}`);
    try {
      // movies first: the order aggregation and the merge lock these tables in.
      await client.query(`LOCK TABLE ${INDEXED_TABLES.join(', ')} IN ACCESS EXCLUSIVE MODE`);
      await client.query('LOCK TABLE webhooks IN SHARE MODE');
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== '55P03' && code !== '40P01') throw error;
      await client.query('ROLLBACK');
      open = false;
      client.release();
      return null;
    }
    await client.query('SET LOCAL lock_timeout = 0');
    // Index builds sort in memory up to this; the rebuild is one transaction of one connection.
    await client.query(`SET LOCAL maintenance_work_mem = '256MB'`);
    // The search index triggers skip aggregation's writes; each chunk refreshes its movies once.
    await client.query(`SELECT set_config('moviec.search_refresh', 'deferred', true)`);
    if (options.takeQueued?.length) await client.query(TAKE_QUEUED_SQL, [options.takeQueued]);
    const dropped = await setAsideIndexesAndKeys(client, { indexed: INDEXED_TABLES, unique: false, keyed: KEYED_TABLES });
    await client.query(TEMP_TABLES);
    await options.beforePriors?.(client);
    const priors = (await client.query<PriorRow>(PRIORS_SQL)).rows;
    const webhooks = (await client.query<{ on: boolean }>('SELECT EXISTS (SELECT 1 FROM webhooks WHERE enabled) AS on')).rows[0]!.on;
    return session(client, dropped, priors, webhooks);
  } catch (error) {
    if (open) await client.query('ROLLBACK').catch(() => undefined);
    client.release();
    throw error;
  }
}

// As services/aggregation.ts takes per-movie jobs (db/aggregates.ts takeQueuedSql): jobs a worker
// could start now; SKIP LOCKED leaves those a worker is fetching to it.
const TAKE_QUEUED_SQL = `DELETE FROM graphile_worker._private_jobs j
  WHERE j.id IN (SELECT q.id FROM graphile_worker._private_jobs q
                  WHERE q.is_available AND q.job_queue_id IS NULL AND q.flags IS NULL AND q.run_at <= now()
                    AND q.task_id IN (SELECT t.id FROM graphile_worker._private_tasks t WHERE t.identifier = ANY($1::text[]))
                    FOR UPDATE SKIP LOCKED)`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function session(client: pg.PoolClient, dropped: SetAside, priors: PriorRow[], webhooks: boolean): BulkAggregation {
  let done = false;
  const finish = async (sql: string) => {
    if (done) return;
    done = true;
    try {
      await client.query(sql);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };
  return {
    priors,
    webhooks,
    async read(after, limit) {
      if (!UUID.test(after)) throw new Error(`not a movie id: ${JSON.stringify(after)}`);
      const next = `id > '${after}' ORDER BY id LIMIT ${Math.floor(limit)}`;
      const [movies, records] = (await client.query(
        `SELECT id, aggregate_hash, locks, score_value, links_hash FROM movies WHERE ${next};
         ${RECORDS_SQL} AND movie_id IN (SELECT id FROM movies WHERE ${next});`,
      )) as unknown as pg.QueryResult[];
      return { locked: movies!.rows as LockedMovie[], records: records!.rows as AggregationRecordRow[] };
    },
    write(writes, fresh) {
      return writeChunk(client, writes, fresh);
    },
    async commit() {
      await finish(
        [
          ...dropped.indexes,
          ...dropped.keys,
          // The planner saw the tables before the rebuild (empty curated tables, movies without
          // scores after a first import). Of movies only the columns lists and matching filter and
          // order on: its jsonb columns cost more to sample than the rest of the rebuild's statistics.
          `ANALYZE movies (id, imdb_id, title, year, score_value, score_votes, score_critics, score_audience), ${INDEXED_TABLES.filter((t) => t !== 'movies').join(', ')}`,
          'COMMIT',
        ].join(';\n'),
      );
    },
    async rollback() {
      await finish('ROLLBACK');
    },
  };
}

const N = '\\N';
const text = (v: unknown): string => (v === null || v === undefined ? N : copyText(typeof v === 'string' ? v : JSON.stringify(v)));
// JSON.stringify, which the row-at-a-time write's arguments go through, writes null for NaN and ±Infinity.
const num = (v: unknown): string => (typeof v === 'number' && Number.isFinite(v) ? String(v) : v === null || v === undefined ? N : text(v));
const bool = (v: unknown): string => (v === null || v === undefined ? N : v ? 't' : 'f');

async function copyInto(client: pg.PoolClient, table: string, lines: string[]): Promise<void> {
  if (!lines.length) return;
  const stream = client.query(copyFrom(`COPY ${table} FROM STDIN`));
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('finish', resolve);
    // In pieces: one string of many megabytes lives in V8's large-object space until a full collection.
    for (let i = 0; i < lines.length; i += 500) stream.write(lines.slice(i, i + 500).join(''));
    stream.end();
  });
}

async function writeChunk(client: pg.PoolClient, writes: AggregateWrites, fresh: Set<string>): Promise<void> {
  const movieLines = writes.movies.map((m) =>
    [
      m.id, m.hash, text(m.links_hash), text(m.title), text(m.originalTitle), num(m.year), text(m.releaseDate), num(m.runtimeMinutes),
      text(m.overview), text(m.posterUrl), bool(m.isAdult), text(m.imdbId), copyText(JSON.stringify(m.provenance)), num(m.score_value),
      num(m.score_confidence), num(m.score_votes), num(m.score_provider_count), num(m.score_critics), num(m.score_audience),
    ].join('\t') + '\n');
  const titleLines = writes.titles.map((t, n) =>
    `${n}\t${t.movie_id}\t${text(t.providerKey)}\t${text(t.title)}\t${text(t.normalized)}\t${bool(t.isOriginal)}\t${num(t.score)}\n`);
  const ratingLines = writes.ratings.map((r) =>
    [r.movie_id, text(r.providerKey), text(r.kind), num(r.rawValue), text(r.rawScale), num(r.normalized), num(r.calibrated),
      num(r.priorMean), num(r.priorVotes), num(r.votes)].join('\t') + '\n');
  const genreLines = writes.genres.map((g) => `${g.movie_id}\t${text(g.name)}\t${num(g.confidence)}\n`);

  const statements: string[] = [];
  if (writes.removed.length) {
    // The curated tables' keys (and their ON DELETE CASCADE) are dropped for the rebuild.
    const removed = `'{${writes.removed.join(',')}}'::uuid[]`;
    for (const table of ['movie_titles', 'ratings', 'movie_genres', 'movie_search']) statements.push(`DELETE FROM ${table} WHERE movie_id = ANY(${removed});`);
    statements.push(`DELETE FROM movies WHERE id = ANY(${removed});`);
  }
  if (writes.titleForms?.length) statements.push(`${STORE_TITLE_FORMS_SQL.replace('$1::jsonb', `${sqlLiteral(JSON.stringify(writes.titleForms))}::jsonb`)};`);
  if (writes.movies.length) {
    const ids = `'{${writes.movies.map((m) => m.id).sort().join(',')}}'::uuid[]`;
    // Movies aggregated before lose their previous titles, ratings and genres (fresh ones have none).
    const seen = writes.movies.filter((m) => !fresh.has(m.id)).map((m) => m.id);
    if (seen.length) {
      const seenIds = `'{${seen.join(',')}}'::uuid[]`;
      for (const table of ['movie_titles', 'ratings', 'movie_genres']) statements.push(`DELETE FROM ${table} WHERE movie_id = ANY(${seenIds});`);
    }
    statements.push(
      `UPDATE movies m SET
         title = x.title, original_title = x.original_title, year = x.year, release_date = x.release_date,
         runtime_minutes = x.runtime_minutes, overview = x.overview, poster_url = x.poster_url, is_adult = x.is_adult,
         imdb_id = coalesce(m.imdb_id, x.imdb_id), provenance = x.provenance,
         score_value = x.score_value, score_confidence = x.score_confidence, score_votes = x.score_votes,
         score_provider_count = x.score_provider_count, score_critics = x.score_critics, score_audience = x.score_audience,
         aggregate_hash = x.hash, links_hash = coalesce(x.links_hash, m.links_hash), version = m.version + 1, updated_at = now()
        FROM moviec_bulk_movies x
       -- The ids too: a join alone is planned as a hash of every movie, a scan of the table per chunk.
       WHERE m.id = x.id AND m.id = ANY(${ids});`,
      // The first of repeated (movie, provider, title) entries counts, as in moviec_write_aggregates.
      `INSERT INTO movie_titles (movie_id, provider_key, title, normalized, is_original, score)
       SELECT DISTINCT ON (movie_id, provider_key, title) movie_id, provider_key, title, normalized, is_original, score
         FROM moviec_bulk_titles ORDER BY movie_id, provider_key, title, n;`,
      `INSERT INTO ratings (movie_id, provider_key, kind, raw_value, raw_scale, normalized, calibrated, prior_mean, prior_votes, votes)
       SELECT movie_id, provider_key, kind, raw_value, raw_scale, normalized, calibrated, prior_mean, prior_votes, votes FROM moviec_bulk_ratings;`,
      `INSERT INTO movie_genres (movie_id, genre_id, confidence)
       SELECT x.movie_id, g.id, x.confidence FROM moviec_bulk_genres x JOIN genres g ON g.name = x.name;`,
    );
    if (writes.unknownGenres.length) {
      statements.push(
        `INSERT INTO genre_aliases (provider_key, alias, genre_id)
         SELECT DISTINCT x."providerKey", x.alias, NULL::int FROM jsonb_to_recordset(${sqlLiteral(JSON.stringify(writes.unknownGenres))}::jsonb) AS x("providerKey" text, alias text)
         ON CONFLICT (provider_key, alias, genre_id) DO NOTHING;`,
      );
    }
    statements.push(
      `SELECT moviec_search_refresh(${ids});`,
      'TRUNCATE moviec_bulk_movies, moviec_bulk_titles, moviec_bulk_ratings, moviec_bulk_genres;',
    );
  }
  const events = writes.events ? movieEventsSql(client, writes.events) : '';
  if (events) statements.push(events);
  // One after the other: the connection runs one statement at a time.
  await copyInto(client, 'moviec_bulk_movies', movieLines);
  await copyInto(client, 'moviec_bulk_titles', titleLines);
  await copyInto(client, 'moviec_bulk_ratings', ratingLines);
  await copyInto(client, 'moviec_bulk_genres', genreLines);
  if (statements.length) await client.query(statements.join('\n'));
}
