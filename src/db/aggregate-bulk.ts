import type pg from 'pg';
import { faultPoint } from '../fault-points.js';
import { RECORDS_SQL, type AggregateWrites, type AggregationRecordRow, type LockedMovie } from './aggregates.js';
import { batchQuery, connectionChain } from './batch-query.js';
import { copyLines, CopyText, Provenances } from './bulk-lines.js';
import { isLockNotGranted } from './errors.js';
import { movieEventsSql } from './movie-events.js';
import { setAsideIndexesAndKeys, type SetAside } from './set-aside.js';
import { PRIORS_SQL, type PriorRow } from './scoring-priors.js';
import { codePointOrder, NodeSearch, type SearchText } from './search-lines.js';
import { recoverSearchPostings } from './search-recovery.js';
import { sqlLiteral } from './sql-literal.js';
import { copyText } from './staging.js';
import { takeDeferredIndexes } from './deferred-indexes.js';
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
 * - each chunk's results arrive by COPY (no JSON to parse): its movies into a temporary table
 *   that one set-based UPDATE writes from, its titles, ratings and genres straight into their
 *   tables (Node makes the rows the set-based inserts made: a repeated title once, each genre's
 *   id), the search rows by one set-based statement that
 *   writes what moviec_search_refresh writes (searchRefreshSql; search_postings' primary key is
 *   set aside too, nothing looks postings up by movie meanwhile);
 * - the next chunks are read ahead: their movies on this connection (several chunks' at once,
 *   between two writes), their provider records on a second one (the second core), while Node
 *   computes the current chunk and PostgreSQL writes the last; a chunk's write is one round trip
 *   (its COPY data sent with its statements, db/batch-query.ts), so the backend goes from one
 *   statement to the next without waiting for Node's event loop;
 * - in a first aggregation, the search postings and the words' counts (derived from movie_search
 *   alone) are written on a third connection, in a second transaction, by another backend (the
 *   second core). Node builds the chunk's search rows itself (db/search-lines.ts: the same tokens
 *   in the database's order, the popularity from the database's own logarithms) when the database
 *   orders text by code points: movie_search's rows go to the rebuild's backend by COPY, their
 *   postings' lines to the other's at once (otherwise, and for a movie with a title lock, the
 *   rebuild's backend makes them, and they leave it as COPY text for the other's, unparsed). That
 *   transaction builds their indexes while the rebuild builds its own, and commits just after it. The window between the two commits is marked
 *   (search_postings_pending, committed with the catalogue, deleted with the postings) and
 *   recovered at the next start-up or bulk rebuild (db/search-recovery.ts).
 *
 * It writes exactly what aggregateMovies writes (test/scoring/rebuild-equivalence.test.ts): a
 * movie's titles, ratings and genres are the computed ones, its search rows what the refresh makes
 * of them. A failed or interrupted rebuild rolls back whole (indexes and keys included): the
 * catalogue stays as it was. Readers of the locked tables wait until it commits.
 */

/** Tables whose non-unique indexes are built again after the rows (the curated tables, the search index). */
const INDEXED_TABLES = ['movies', 'movie_titles', 'movie_genres', 'ratings', 'movie_search', 'search_postings', 'search_words'];
/** The search index's tables derived from movie_search alone: a first aggregation writes them in a second transaction. */
const POSTING_TABLES = ['search_postings', 'search_words'];
/** The tables the rebuild's own transaction always holds (locked first, in this order). */
const CATALOGUE_TABLES = INDEXED_TABLES.filter((t) => !POSTING_TABLES.includes(t));
/** Tables whose foreign keys are dropped and validated again at the end (their per-row checks were a third of a write). */
const KEYED_TABLES = ['movie_titles', 'movie_genres', 'ratings', 'movie_search'];
/**
 * A first aggregation: no movie was aggregated before and no postings exist (a first import).
 * Every movie is then written (its hash differs from none) or removed, and movie_search holds only
 * the placeholder rows the movies' insert made (without tokens, as there are no postings).
 */
const FIRST_AGGREGATION_SQL = `SELECT NOT EXISTS (SELECT 1 FROM movies WHERE aggregate_hash IS NOT NULL)
   AND NOT EXISTS (SELECT 1 FROM search_postings) AS first`;
/** FIRST_AGGREGATION_SQL's half the rebuild's transaction can ask before it holds the postings. */
const NONE_AGGREGATED_SQL = 'SELECT NOT EXISTS (SELECT 1 FROM movies WHERE aggregate_hash IS NOT NULL) AS none';
const NO_POSTINGS_SQL = 'SELECT NOT EXISTS (SELECT 1 FROM search_postings) AS none';

export interface BulkAggregation {
  /** The scoring priors, read once in the transaction. */
  priors: PriorRow[];
  /** Whether an enabled webhook wants change events (read once; `webhooks` is locked against changes meanwhile). */
  webhooks: boolean;
  /**
   * The genres' ids by name, read once (seeded reference data: the canonical genres are there
   * before any aggregation). A name not found here is written by the SQL's join on genres.
   */
  genreIds: ReadonlyMap<string, number>;
  /** The rebuild's numbered provenances: each sent once (moviec_bulk_provenance), its movies' lines carry its number. */
  provenances: Provenances;
  /** The next movies after `after` in id order with their records (after the last write settled). */
  read(after: string, limit: number): Promise<{ locked: LockedMovie[]; records: AggregationRecordRow[] }>;
  /**
   * Writes one chunk's results (`fresh`: movies never aggregated before, which hold no titles,
   * ratings or genres yet); the caller computes the next chunk meanwhile. Writes run in the order
   * they were sent, each after the previous one.
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
  /**
   * Whether a first aggregation may write the postings and word counts in a second transaction on
   * a connection of its own (default true; without a spare connection in the pool it does not).
   */
  postingsApart?: boolean;
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
    score_confidence float8, score_votes int, score_provider_count int, score_critics float8, score_audience float8, provenance_n int
  ) ON COMMIT DROP;
  CREATE TEMP TABLE moviec_bulk_provenance (n int, provenance jsonb) ON COMMIT DROP;
  CREATE TEMP TABLE moviec_bulk_stale (movie_id uuid) ON COMMIT DROP;`;

/**
 * Opens the bulk rebuild's transaction on a connection of its own: locks, drops the indexes and
 * keys. Null when the locks are not granted within `lockTimeoutMs` (nothing changed then).
 */
export async function beginBulkAggregation(pool: pg.Pool, options: BulkAggregationOptions = {}): Promise<BulkAggregation | null> {
  // A previous first aggregation that committed its catalogue but not its postings (a crash
  // between its two commits): its postings and counts are rebuilt first (one cheap read if none).
  await recoverSearchPostings(pool);
  const lockTimeout = `SET LOCAL lock_timeout = ${Math.max(1, Math.floor(options.lockTimeoutMs ?? 10_000))}`;
  // The records are read on a second connection (provider_records is not locked: the rebuild only
  // reads it), and a first aggregation's postings written on a third, both taken before the locks:
  // once they are held, other jobs may hold the pool's other connections while they wait for them.
  // Without a spare connection, the reads share the first and the postings stay in its transaction.
  const spare = () => pool.idleCount > 0 || pool.totalCount < (pool.options.max ?? 10);
  const client = await pool.connect();
  let reader: pg.PoolClient | null = null;
  let apart: pg.PoolClient | null = null;
  try {
    if (spare()) reader = await pool.connect();
    if (reader && options.postingsApart !== false && spare()) apart = await pool.connect();
  } catch (error) {
    reader?.release();
    client.release();
    throw error;
  }
  let open = false;
  let postings: PostingsApart | null = null;
  try {
    await client.query('BEGIN');
    open = true;
    await client.query(lockTimeout);
    let genreIds: ReadonlyMap<string, number> = new Map();
    try {
      // movies first: the order aggregation and the merge lock these tables in.
      await client.query(`LOCK TABLE ${CATALOGUE_TABLES.join(', ')} IN ACCESS EXCLUSIVE MODE`);
      await client.query('LOCK TABLE webhooks IN SHARE MODE');
      // The genres' ids by name, read once, under the locks (seeded reference data, there before
      // any aggregation; the rebuild writes none): Node writes each genre's id itself, and so do
      // Node's search rows. A name not found here is written by the SQL's join on genres.
      genreIds = new Map((await client.query<{ id: number; name: string }>('SELECT id, name FROM genres')).rows.map((g) => [g.name, g.id]));
      // A first aggregation (no movie aggregated before, no postings): the postings' own
      // transaction takes their tables, after movie_search as every refresh does.
      const noneAggregated = (await client.query<{ none: boolean }>(NONE_AGGREGATED_SQL)).rows[0]!.none;
      if (noneAggregated && apart) {
        const taken = apart; // released by beginPostingsApart when it gives null or throws
        apart = null;
        postings = await beginPostingsApart(taken, lockTimeout, client, genreIds);
      }
      if (!postings) {
        apart?.release();
        apart = null;
        await client.query(`LOCK TABLE ${POSTING_TABLES.join(', ')} IN ACCESS EXCLUSIVE MODE`);
      }
    } catch (error) {
      if (!isLockNotGranted(error)) throw error;
      await client.query('ROLLBACK');
      open = false;
      client.release();
      reader?.release();
      await postings?.rollback();
      apart?.release();
      return null;
    }
    await client.query('SET LOCAL lock_timeout = 0');
    // Index builds sort in memory up to this; the rebuild is one transaction of one connection.
    await client.query(`SET LOCAL maintenance_work_mem = '256MB'`);
    // The search index triggers skip aggregation's writes; each chunk refreshes its movies once.
    await client.query(`SELECT set_config('moviec.search_refresh', 'deferred', true)`);
    const quieted = await quietDeferredTriggers(client);
    if (options.takeQueued?.length) await client.query(TAKE_QUEUED_SQL, [options.takeQueued]);
    const setAside = await setAsideIndexesAndKeys(client, {
      indexed: postings ? CATALOGUE_TABLES : INDEXED_TABLES, unique: false, keyed: KEYED_TABLES, primaryKeyed: postings ? [] : ['search_postings'],
    });
    // The movies indexes a large first load left to this rebuild (db/deferred-indexes.ts): built at its end with the others.
    const deferred = await takeDeferredIndexes(client);
    const dropped: SetAside = { ...setAside, builds: [...setAside.builds, ...deferred], indexes: [...setAside.indexes, ...deferred.map((d) => d.sql)] };
    const first = postings !== null || (await client.query<{ first: boolean }>(FIRST_AGGREGATION_SQL)).rows[0]!.first;
    // movie_search's placeholder rows (every movie is written or removed) are replaced by inserts
    // instead of rewritten one by one.
    if (first) await client.query('TRUNCATE movie_search');
    // Committed with the catalogue, deleted by the postings' transaction when it commits after it.
    if (postings) await client.query('INSERT INTO search_postings_pending (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET since = now()');
    await client.query(TEMP_TABLES);
    await options.beforePriors?.(client);
    const priors = (await client.query<PriorRow>(PRIORS_SQL)).rows;
    const webhooks = (await client.query<{ on: boolean }>('SELECT EXISTS (SELECT 1 FROM webhooks WHERE enabled) AS on')).rows[0]!.on;
    return session(pool, client, reader, postings, dropped, quieted, priors, webhooks, genreIds, first);
  } catch (error) {
    if (open) await client.query('ROLLBACK').catch(() => undefined);
    client.release();
    reader?.release();
    await postings?.rollback().catch(() => undefined);
    apart?.release();
    throw error;
  }
}

/**
 * The second transaction of a first aggregation: search_postings and search_words (with the
 * one-letter-deleted variants of new words), derived from movie_search alone, written by another
 * backend. Its writes queue on its connection in the order sent.
 */
interface PostingsApart {
  /**
   * Builds the search rows in Node (db/search-lines.ts) when the database orders text by code
   * points (the order of the rows' tokens), else null: the rebuild's backend makes them.
   */
  search: NodeSearch | null;
  /** Appends the postings of a chunk's search rows (COPY text of movie_id, tokens, popularity, year). */
  copy(pieces: Buffer[]): Promise<void>;
  /** Counts the words, builds the set-aside indexes, refreshes the statistics: everything but the commit. */
  finish(): Promise<void>;
  /** Deletes the pending mark (committed by the catalogue's transaction before this) and commits. */
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/** Opens the postings' transaction, or null (nothing held) when its locks are not granted or postings exist. */
async function beginPostingsApart(
  apart: pg.PoolClient, lockTimeout: string, client: pg.PoolClient, genreIds: ReadonlyMap<string, number>,
): Promise<PostingsApart | null> {
  await apart.query('BEGIN');
  let released = false;
  const end = async (sql: string) => {
    if (released) return;
    released = true;
    try {
      await apart.query(sql);
    } catch (error) {
      await apart.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      apart.release();
    }
  };
  try {
    await apart.query(lockTimeout);
    try {
      await apart.query(`LOCK TABLE ${POSTING_TABLES.join(', ')} IN ACCESS EXCLUSIVE MODE`);
    } catch (error) {
      if (!isLockNotGranted(error)) throw error;
      await end('ROLLBACK');
      return null;
    }
    if (!(await apart.query<{ none: boolean }>(NO_POSTINGS_SQL)).rows[0]!.none) {
      await end('ROLLBACK');
      return null;
    }
    await apart.query(`SET LOCAL lock_timeout = 0; SET LOCAL maintenance_work_mem = '256MB'`);
    // search_postings' key too: nothing looks postings up by movie meanwhile (they are only appended).
    const dropped = await setAsideIndexesAndKeys(apart, { indexed: POSTING_TABLES, unique: false, keyed: [], primaryKeyed: ['search_postings'] });
    await apart.query('CREATE TEMP TABLE moviec_bulk_search (movie_id uuid, tokens text[], popularity float8, year int) ON COMMIT DROP');
    // Its operations one after the other (Node's search rows ask for logarithms between the copies).
    const onApart = connectionChain();
    const search = await nodeSearch(client, genreIds, (sql, values) => onApart(() => apart.query(sql, values)));
    return {
      search,
      async copy(pieces) {
        if (!pieces.length) return;
        await onApart(() =>
          batchQuery(
            apart,
            `COPY moviec_bulk_search FROM STDIN;
             INSERT INTO search_postings (movie_id, token, popularity, tokens, year)
             SELECT f.movie_id, w, f.popularity, f.tokens, f.year FROM moviec_bulk_search f, unnest(f.tokens) w;
             TRUNCATE moviec_bulk_search`,
            [pieces],
          ),
        );
      },
      async finish() {
        // Every word's count at once: what the chunks' upserts would have added up to (there were no
        // postings before). Counted by Node as it built every movie's search row, else from the
        // finished postings.
        const words = search?.wordsComplete ? wordLines(search.words) : null;
        const sql = [
          // One process builds these indexes: the catalogue's end beside it is the longer (its GIN
          // builds and key validations have one process each), and parallel workers here would
          // take the core it runs on; its b-trees, last, take both once this end is done.
          'SET LOCAL max_parallel_maintenance_workers = 0',
          ...(words
            ? [
                'CREATE TEMP TABLE moviec_bulk_words (word text, movies int) ON COMMIT DROP',
                'COPY moviec_bulk_words FROM STDIN',
                `WITH ${countedWords(`SELECT w.word, w.movies FROM moviec_bulk_words w ORDER BY w.word COLLATE "C"`)}`,
              ]
            : [`WITH ${countedWords(`SELECT p.token, count(*)::int FROM search_postings p WHERE p.token NOT LIKE '=%' GROUP BY p.token ORDER BY p.token COLLATE "C"`)}`]),
          ...dropped.indexes,
          `ANALYZE ${POSTING_TABLES.join(', ')}`,
        ].join(';\n');
        await onApart(() => batchQuery(apart, sql, words ? [words.pieces()] : []));
      },
      commit: () => onApart(() => end('DELETE FROM search_postings_pending;\nCOMMIT')),
      rollback: () => onApart(() => end('ROLLBACK')),
    };
  } catch (error) {
    await end('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Words and their counts of movies as COPY text (word, movies). */
function wordLines(words: ReadonlyMap<string, number>): CopyText {
  const text = new CopyText();
  for (const [word, movies] of words) text.add(`${copyText(word)}\t${movies}`);
  return text;
}

/** The popularity's logarithm, as searchRows computes it (v: a movie's score_votes). */
const LOG_OF_VOTES = 'log(1 + greatest(coalesce(v, 0), 0)) AS l';

/**
 * NodeSearch for the postings' transaction (its statements through `onApart`), or null when the
 * database's collation does not order text by code points. Its genres are the rebuild's
 * (`genreIds`, read in the rebuild's transaction, which sets movie_genres' key on genres aside: a
 * read in the other would hold that up). Its logarithms are the other backend's, exact as text (extra_float_digits).
 */
async function nodeSearch(
  client: pg.PoolClient, genreIds: ReadonlyMap<string, number>, onApart: (sql: string, values?: unknown[]) => Promise<pg.QueryResult>,
): Promise<NodeSearch | null> {
  const { rows: [database] } = await client.query<{ d: Parameters<typeof codePointOrder>[0] }>(
    'SELECT to_jsonb(d) AS d FROM pg_database d WHERE d.datname = current_database()',
  );
  if (!database || !codePointOrder(database.d)) return null;
  await onApart('SET LOCAL extra_float_digits = 3');
  // Most movies have fewer votes than this: one query instead of one per chunk early on.
  const known = (await onApart(`SELECT v, ${LOG_OF_VOTES} FROM generate_series(0, 9999) v`)).rows as { v: number; l: number }[];
  const lookup = async (votes: number[]) => (await onApart(`SELECT v, ${LOG_OF_VOTES} FROM unnest($1::int[]) v`, [votes])).rows as { v: number; l: number }[];
  return new NodeSearch(genreIds, lookup, known);
}

/**
 * The search index's refresh triggers on the rebuild's tables (movies, movie_titles, movie_genres)
 * are disabled for the transaction: with moviec.search_refresh deferred their functions return at
 * once, but each statement still collected every row it wrote into the trigger's transition table
 * first (a copy of each updated movie, ~0.5 us). Returns the statements that enable them again
 * (sent before the commit; a rollback restores them with the rest). Other triggers stay.
 */
async function quietDeferredTriggers(client: pg.PoolClient): Promise<string[]> {
  const { rows } = await client.query<{ disable: string; enable: string }>(
    `SELECT format('ALTER TABLE %s DISABLE TRIGGER %I', t.tgrelid::regclass, t.tgname) AS disable,
            format('ALTER TABLE %s ENABLE TRIGGER %I', t.tgrelid::regclass, t.tgname) AS enable
       FROM pg_trigger t
      WHERE NOT t.tgisinternal AND t.tgenabled = 'O' AND t.tgrelid = ANY($1::regclass[])
        AND t.tgfoid = ANY(ARRAY['moviec_search_refresh_movies', 'moviec_search_refresh_new', 'moviec_search_refresh_old']::regproc[])
      ORDER BY t.tgrelid, t.tgname`,
    [CATALOGUE_TABLES],
  );
  if (rows.length) await client.query(rows.map((r) => `${r.disable};`).join('\n'));
  return rows.map((r) => r.enable);
}

/**
 * The end of the rebuild's own transaction: the set-aside indexes and keys built again, the
 * triggers enabled, the statistics refreshed, ordered for the critical path (issue 18 point 5).
 * PostgreSQL builds a b-tree with parallel workers, but a GIN index, a key's validation and
 * ANALYZE in one process. A first aggregation's postings end on the other backend meanwhile, so
 * the one-process work goes first, beside it, and the b-trees last, when the other core is free
 * again (movies' eight, the largest, at the very end): no single-process tail on one core. Each
 * table's statistics are taken after its own indexes are built (ANALYZE records their sizes too).
 */
function endStatements(dropped: SetAside, tables: readonly string[], quieted: string[]): string[] {
  const btrees = (movies: boolean) => dropped.builds.filter((b) => b.method === 'btree' && (b.table === 'movies') === movies).map((b) => b.sql);
  return [
    ...dropped.builds.filter((b) => b.method !== 'btree').map((b) => b.sql),
    ...dropped.keys,
    ...btrees(false),
    `ANALYZE ${tables.filter((t) => t !== 'movies').join(', ')}`,
    ...btrees(true),
    ...quieted,
    // The planner saw the tables before the rebuild (empty curated tables, movies without scores
    // after a first import). Of movies only the columns lists and matching filter and order on:
    // its jsonb columns cost more to sample than the rest of the rebuild's statistics.
    'ANALYZE movies (id, imdb_id, title, year, score_value, score_votes, score_critics, score_audience)',
  ];
}

// As services/aggregation.ts takes per-movie jobs (db/aggregates.ts takeQueuedSql): jobs a worker
// could start now; SKIP LOCKED leaves those a worker is fetching to it.
const TAKE_QUEUED_SQL = `DELETE FROM graphile_worker._private_jobs j
  WHERE j.id IN (SELECT q.id FROM graphile_worker._private_jobs q
                  WHERE q.is_available AND q.job_queue_id IS NULL AND q.flags IS NULL AND q.run_at <= now()
                    AND q.task_id IN (SELECT t.id FROM graphile_worker._private_tasks t WHERE t.identifier = ANY($1::text[]))
                    FOR UPDATE SKIP LOCKED)`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Chunk {
  locked: LockedMovie[];
  records: AggregationRecordRow[];
}

/** Chunks whose provider records are read ahead (on the reader) of the one the caller computes. */
const RECORDS_AHEAD = 2;
/** Chunks of movies read at once on the rebuild's connection, between two writes. */
const MOVIES_AT_ONCE = 4;

function session(
  pool: pg.Pool, client: pg.PoolClient, reader: pg.PoolClient | null, postings: PostingsApart | null, dropped: SetAside,
  quieted: string[], priors: PriorRow[], webhooks: boolean, genreIds: ReadonlyMap<string, number>, first: boolean,
): BulkAggregation {
  let done = false;
  // One explicit chain per connection: a statement is handed to node-postgres when the previous
  // one has settled, never queued behind it there (a chunk's write is one round trip, batchQuery).
  const onClient = connectionChain();
  const onReader = reader ? connectionChain() : onClient;
  const onPostings = connectionChain();
  /** The read-ahead: movies read (locked) but not yet in a chunk, and chunks whose records are being read. */
  const ahead = {
    /** The id the next chunk starts after, and its size: a read that asks for another resets the read-ahead. */
    after: '', limit: 0,
    movies: [] as LockedMovie[],
    /** The last movie id read, and whether every movie after it was read. */
    last: '', end: false,
    reading: null as Promise<void> | null,
    chunks: [] as Promise<Chunk>[],
    /** Whatever is in flight, awaited before the transaction ends. */
    pending: new Set<Promise<unknown>>(),
  };
  const track = <T>(promise: Promise<T>): Promise<T> => {
    ahead.pending.add(promise);
    const forget = () => ahead.pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  };
  const settled = async () => {
    while (ahead.pending.size) await Promise.allSettled([...ahead.pending]);
  };
  /**
   * Ends the rebuild: `sql` (the index builds, ANALYZE and, without the postings apart, COMMIT),
   * with the postings' end on their backend meanwhile; both roll back when either fails.
   */
  const finish = async (sql: string, postingsEnd?: Promise<void>) => {
    if (done) return;
    done = true;
    await settled();
    try {
      // The two transactions' ends at once, on two backends; the catalogue commits only when both
      // succeeded (its COMMIT is sent after the postings' end).
      const [ended, postingsEnded] = await Promise.allSettled([onClient(() => client.query(sql)), postingsEnd ?? Promise.resolve()]);
      if (ended.status === 'rejected') throw ended.reason;
      if (postingsEnded.status === 'rejected') throw postingsEnded.reason;
      if (postings) await onClient(() => client.query('COMMIT'));
    } catch (error) {
      await onClient(() => client.query('ROLLBACK')).catch(() => undefined);
      await postings?.rollback().catch(() => undefined);
      throw error;
    } finally {
      client.release();
      reader?.release();
    }
  };
  /**
   * The movies after ahead.last, MOVIES_AT_ONCE chunks of them, on the rebuild's connection (they
   * are locked): between two writes, behind those already sent. Movies of later chunks are
   * disjoint from those being written, so reading them before the writes changes nothing.
   */
  const readMovies = (): void => {
    if (ahead.reading || ahead.end) return;
    const after = ahead.last;
    if (!UUID.test(after)) throw new Error(`not a movie id: ${JSON.stringify(after)}`);
    const limit = ahead.limit * MOVIES_AT_ONCE;
    const reading = onClient(() =>
      client.query<LockedMovie>(
        `SELECT id, aggregate_hash, locks, score_value, links_hash FROM movies WHERE id > '${after}' ORDER BY id LIMIT ${limit}`,
      ),
    ).then(({ rows }) => {
      ahead.movies.push(...rows);
      if (rows.length) ahead.last = rows[rows.length - 1]!.id;
      if (rows.length < limit) ahead.end = true;
      ahead.reading = null;
      fill();
    });
    ahead.reading = reading;
    track(reading).catch(() => undefined); // seen by the read that waits for it
  };
  /** Starts reading the records of the next chunks (on the reader), and more movies before they run out. */
  const fill = (): void => {
    while (ahead.chunks.length < RECORDS_AHEAD && (ahead.movies.length >= ahead.limit || (ahead.end && ahead.movies.length))) {
      const locked = ahead.movies.splice(0, ahead.limit);
      const chunk = onReader(() =>
        (reader ?? client).query<AggregationRecordRow>(`${RECORDS_SQL} AND movie_id = ANY($1::uuid[])`, [locked.map((m) => m.id)]),
      ).then(({ rows: records }) => ({ locked, records }));
      track(chunk).catch(() => undefined); // seen by the read that takes it
      ahead.chunks.push(chunk);
    }
    // More movies while the chunks ahead still have some: their read waits behind the writes.
    if (ahead.movies.length < ahead.limit * 2) readMovies();
  };
  return {
    priors,
    webhooks,
    genreIds,
    provenances: new Provenances(),
    async read(after, limit) {
      if (!UUID.test(after)) throw new Error(`not a movie id: ${JSON.stringify(after)}`);
      if (after !== ahead.after || limit !== ahead.limit) {
        // Not the continuation of the last read (the first read): read from `after` on.
        await settled();
        Object.assign(ahead, { limit: Math.max(1, Math.floor(limit)), movies: [], last: after, end: false, reading: null, chunks: [] });
      }
      for (;;) {
        if (!ahead.chunks.length) fill();
        const chunk = ahead.chunks.shift();
        if (chunk) {
          const read = await chunk;
          ahead.after = read.locked[read.locked.length - 1]!.id;
          fill();
          return read;
        }
        if (!ahead.reading) return { locked: [], records: [] };
        await ahead.reading;
      }
    },
    write(writes, fresh) {
      // Node's search rows (db/search-lines.ts) are built now, their postings sent to the other
      // backend at once; a chunk's new vote counts' logarithms are asked there first.
      const plan = postings?.search && writes.copy ? postings.search.plan(writes.copy.search, writes.copy.ids) : undefined;
      const text = plan?.text ? track(Promise.resolve(plan.text)) : undefined;
      const posted = text ? track(text.then((t) => postings!.copy(t.postings.pieces()))) : undefined;
      const batch = track(onClient(async () => writeChunk(client, writes, fresh, first, postings, plan && { sqlIds: plan.sqlIds, text: await text })));
      if (!postings) return batch.then(() => undefined);
      // The postings of the rows made here go to the other backend as soon as they are out, behind the previous chunk's.
      const copied = track(batch.then((pieces) => onPostings(() => postings.copy(pieces))));
      return posted ? Promise.all([posted, copied]).then(() => undefined) : copied;
    },
    async commit() {
      if (done) return;
      const postingsEnd = postings?.finish();
      postingsEnd?.catch(() => undefined); // awaited by finish
      await finish(
        [
          // Moved movies that had postings: none in a first aggregation.
          ...(postings ? [] : [STALE_POSTINGS_SQL]),
          ...endStatements(dropped, postings ? CATALOGUE_TABLES : INDEXED_TABLES, quieted),
          ...(postings ? [] : ['COMMIT']),
        ].join(';\n'),
        postingsEnd,
      );
      if (!postings) return;
      // The catalogue and movie_search are committed, with the pending mark; the postings and the
      // words' counts are not yet. A crash here leaves the mark: recovered at the next start-up.
      await faultPoint('aggregate.bulk-committed');
      try {
        await postings.commit();
      } catch {
        // Rebuilt from the committed movie_search now; if that fails too, the mark stays for the
        // next start-up or bulk rebuild, and this rebuild fails.
        await recoverSearchPostings(pool);
      }
    },
    async rollback() {
      if (done) return;
      done = true;
      await settled();
      try {
        await onClient(() => client.query('ROLLBACK'));
      } finally {
        client.release();
        reader?.release();
        await postings?.rollback().catch(() => undefined);
      }
    },
  };
}

/*
 * The search rows of a chunk's written movies: what moviec_search_refresh(ids) writes (the search
 * index's function, which per-movie aggregation calls), set-based from the chunk's own rows.
 *
 * - movie_search: the same row from the same inputs — the movie's columns from movies (written
 *   just before), the tokens and providers of its titles and its genres at or above 0.5 from the
 *   chunk's temporary tables, which hold exactly the rows just inserted (repeated titles, which
 *   the insert skips, give no other token or provider) — rewritten where it differs;
 * - search_postings: its primary key is set aside for the rebuild (a b-tree insertion per posting
 *   cost more than the posting), so a row is never looked up by movie. A moved movie whose
 *   previous search row had no tokens has no postings: its new postings are inserted and the
 *   words counted here. A moved movie that had tokens (aggregated before) has postings to replace:
 *   it is set aside in moviec_bulk_stale, and STALE_POSTINGS_SQL replaces them all at the end in
 *   one join, as moviec_search_refresh would have (the words' counts are exact counts: adding the
 *   chunks' differences in another order gives the same counts).
 * - in a first aggregation (FIRST_AGGREGATION_SQL) movie_search is emptied at the start and every
 *   written movie's row is new: firstSearchSql inserts it, its postings and its words' counts.
 */

/**
 * The tokens, providers and genres of each of the movies (CTEs tk, pv, gn), from the titles and
 * genres the chunk just wrote: the movies' only ones (those of movies aggregated before were
 * deleted first), found through the tables' unique keys (movie first), which stay.
 */
function searchInputs(ids: string): string {
  return `tk AS (
    SELECT n.movie_id, array_agg(DISTINCT tok ORDER BY tok) AS tokens
      FROM (SELECT t.movie_id, t.normalized FROM movie_titles t WHERE t.movie_id = ANY(${ids})
            UNION ALL SELECT m.id, moviec_search_text(m.title) FROM movies m WHERE m.id = ANY(${ids}) AND m.locks ? 'title') n,
           unnest(moviec_search_tokens(n.normalized)) tok
     GROUP BY n.movie_id
  ), pv AS (
    SELECT t.movie_id, array_agg(DISTINCT t.provider_key ORDER BY t.provider_key) AS providers
      FROM movie_titles t WHERE t.movie_id = ANY(${ids}) GROUP BY t.movie_id
  ), gn AS (
    SELECT x.movie_id, array_agg(x.genre_id ORDER BY x.genre_id) AS genre_ids
      FROM movie_genres x WHERE x.movie_id = ANY(${ids}) AND x.confidence >= 0.5 GROUP BY x.movie_id
  )`;
}

/** The search rows of the movies (moviec_search_refresh's columns), for INSERT INTO movie_search. */
function searchRows(ids: string): string {
  return `SELECT m.id, coalesce(tk.tokens, '{}'), log(1 + greatest(coalesce(m.score_votes, 0), 0)) + coalesce(m.score_value, 0) / 500,
           m.score_votes, m.score_value, m.year, coalesce(gn.genre_ids, '{}'), coalesce(pv.providers, '{}')
      FROM movies m LEFT JOIN tk ON tk.movie_id = m.id LEFT JOIN pv ON pv.movie_id = m.id LEFT JOIN gn ON gn.movie_id = m.id
     WHERE m.id = ANY(${ids})
     ORDER BY m.id`;
}

/**
 * The end of a search refresh: the words' counts moved by `gained` (rows of word, movies gained or
 * lost), and the one-letter-deleted variants of words seen for the first time, as the search
 * index's own moviec_search_refresh keeps them.
 */
function countedWords(gained: string): string {
  return `counted AS (
    INSERT INTO search_words AS sw (word, movies)
    ${gained}
    ON CONFLICT (word) DO UPDATE SET movies = greatest(sw.movies + excluded.movies, 0)
    RETURNING sw.word, (xmax = 0) AS inserted
  )
  INSERT INTO search_word_deletes (variant, word)
  SELECT DISTINCT overlay(c.word PLACING '' FROM i FOR 1), c.word
    FROM counted c, generate_series(1, length(c.word)) i
   WHERE c.inserted AND length(c.word) >= 4
  ON CONFLICT DO NOTHING`;
}

/** The postings and word counts of the moved movies (a CTE `moved`: movie_id, tokens, popularity, year) that had no postings. */
const POSTINGS_AND_WORDS = `posted AS (
    INSERT INTO search_postings (movie_id, token, popularity, tokens, year)
    SELECT f.movie_id, w, f.popularity, f.tokens, f.year FROM moved f, unnest(f.tokens) w
  ), ${countedWords(`SELECT w, count(*)::int FROM moved f, unnest(f.tokens) w WHERE w NOT LIKE '=%' GROUP BY w ORDER BY w COLLATE "C"`)};`;

function searchRefreshSql(ids: string): string {
  return `WITH old AS (
    SELECT s.movie_id FROM movie_search s WHERE s.movie_id = ANY(${ids}) AND s.tokens <> '{}'
  ), ${searchInputs(ids)}, up AS (
    INSERT INTO movie_search AS s (movie_id, tokens, popularity, votes, score, year, genre_ids, providers)
    ${searchRows(ids)}
    ON CONFLICT (movie_id) DO UPDATE
       SET tokens = excluded.tokens, popularity = excluded.popularity, votes = excluded.votes, score = excluded.score,
           year = excluded.year, genre_ids = excluded.genre_ids, providers = excluded.providers
     WHERE (s.tokens, s.popularity, s.votes, s.score, s.year, s.genre_ids, s.providers)
           IS DISTINCT FROM (excluded.tokens, excluded.popularity, excluded.votes, excluded.score, excluded.year, excluded.genre_ids, excluded.providers)
    RETURNING s.movie_id, s.tokens, s.popularity, s.year
  ), stale AS (
    INSERT INTO moviec_bulk_stale (movie_id) SELECT up.movie_id FROM up JOIN old ON old.movie_id = up.movie_id
  ), moved AS (
    SELECT up.* FROM up WHERE NOT EXISTS (SELECT 1 FROM old WHERE old.movie_id = up.movie_id)
  ), ${POSTINGS_AND_WORDS}`;
}

/** searchRefreshSql in a first aggregation: every written movie's search row is new, and moved. */
function firstSearchSql(ids: string): string {
  return `WITH ${searchInputs(ids)}, moved AS (
    INSERT INTO movie_search AS s (movie_id, tokens, popularity, votes, score, year, genre_ids, providers)
    ${searchRows(ids)}
    RETURNING s.movie_id, s.tokens, s.popularity, s.year
  ), ${POSTINGS_AND_WORDS}`;
}

/**
 * firstSearchSql with the postings written apart (a first aggregation's second transaction): the
 * search rows are inserted here, and what their postings are made of (movie, tokens, popularity,
 * year: one line a movie, not one a posting) leaves as COPY text for the other backend, which takes
 * it unparsed (COPY FROM), writes the postings and counts the words once at the end.
 */
function firstSearchCopySql(ids: string): string {
  return `COPY (WITH ${searchInputs(ids)}, moved AS (
    INSERT INTO movie_search AS s (movie_id, tokens, popularity, votes, score, year, genre_ids, providers)
    ${searchRows(ids)}
    RETURNING s.movie_id, s.tokens, s.popularity, s.year
  ) SELECT f.movie_id, f.tokens, f.popularity, f.year FROM moved f) TO STDOUT`;
}

/**
 * The postings of moved movies that had postings before (moviec_bulk_stale): the old ones deleted
 * and the new ones inserted in one join each, the words' counts adjusted by what they gained or
 * lost, as moviec_search_refresh does for its moved movies. Nothing to do after a first import.
 */
const STALE_POSTINGS_SQL = `WITH d AS (
    DELETE FROM search_postings p USING moviec_bulk_stale x WHERE p.movie_id = x.movie_id RETURNING p.token
  ), added AS (
    INSERT INTO search_postings (movie_id, token, popularity, tokens, year)
    SELECT s.movie_id, w, s.popularity, s.tokens, s.year FROM moviec_bulk_stale x JOIN movie_search s ON s.movie_id = x.movie_id, unnest(s.tokens) w
    RETURNING token
  ), delta AS (
    SELECT x.w, sum(x.n)::int AS n
      FROM (SELECT a.token AS w, 1 AS n FROM added a WHERE a.token NOT LIKE '=%' UNION ALL SELECT d.token, -1 FROM d WHERE d.token NOT LIKE '=%') x
     GROUP BY x.w HAVING sum(x.n) <> 0
  ), ${countedWords('SELECT delta.w, delta.n FROM delta ORDER BY delta.w')}`;

/** movie_search's columns in the order of a search row's COPY line (db/search-lines.ts). */
const SEARCH_COPY_TARGET = 'movie_search (movie_id, tokens, popularity, votes, score, year, genre_ids, providers)';

/** A statement without its closing semicolon (they are joined with one). */
function bare(statement: string): string {
  const trimmed = statement.trimEnd();
  return trimmed.endsWith(';') ? trimmed.slice(0, -1) : trimmed;
}

/**
 * One chunk's write as one round trip on the rebuild's connection (db/batch-query.ts): the
 * statements with the data of their COPYs (the movies' into the temporary table, the titles',
 * ratings', genres' and search rows' straight into their tables), the search rows' COPY out
 * (their postings, written apart) and the temporary table's truncation, in one query. Resolves
 * with the COPY out's pieces (none when the postings are not written apart).
 */
function writeChunk(
  client: pg.PoolClient, writes: AggregateWrites, fresh: Set<string>, first: boolean, postings: PostingsApart | null,
  search?: { sqlIds: string[]; text?: SearchText },
): Promise<Buffer[]> {
  // The changed movies' rows as COPY lines, built as each was computed (computeBatch's copy option).
  const lines = writes.copy ?? copyLines();
  if (writes.movies.length) throw new Error('the bulk rebuild writes the COPY lines of computeBatch({ copy: true })');

  /** The statements in order; each `COPY … FROM STDIN` with its data, sent with the query in its turn. */
  const statements: string[] = [];
  const inputs: Buffer[][] = [];
  const copy = (target: string, text: CopyText) => {
    if (!text.rows) return;
    statements.push(`COPY ${target} FROM STDIN`);
    inputs.push(text.pieces());
  };
  if (writes.removed.length) {
    // The curated tables' keys (and their ON DELETE CASCADE) are dropped for the rebuild.
    const removed = `'{${writes.removed.join(',')}}'::uuid[]`;
    for (const table of ['movie_titles', 'ratings', 'movie_genres', 'movie_search']) statements.push(`DELETE FROM ${table} WHERE movie_id = ANY(${removed});`);
    statements.push(`DELETE FROM movies WHERE id = ANY(${removed});`);
  }
  if (writes.titleForms?.length) statements.push(`${STORE_TITLE_FORMS_SQL.replace('$1::jsonb', `${sqlLiteral(JSON.stringify(writes.titleForms))}::jsonb`)};`);
  if (lines.ids.length) {
    const ids = `'{${[...lines.ids].sort().join(',')}}'::uuid[]`;
    // Movies aggregated before lose their previous titles, ratings and genres (fresh ones have none).
    const seen = lines.ids.filter((id) => !fresh.has(id));
    if (seen.length) {
      const seenIds = `'{${seen.join(',')}}'::uuid[]`;
      for (const table of ['movie_titles', 'ratings', 'movie_genres']) statements.push(`DELETE FROM ${table} WHERE movie_id = ANY(${seenIds});`);
    }
    // The provenances numbered in this chunk, then its movies (with their provenance's number).
    copy('moviec_bulk_provenance', lines.provenances);
    copy('moviec_bulk_movies', lines.movies);
    statements.push(
      `UPDATE movies m SET
         title = x.title, original_title = x.original_title, year = x.year, release_date = x.release_date,
         runtime_minutes = x.runtime_minutes, overview = x.overview, poster_url = x.poster_url, is_adult = x.is_adult,
         imdb_id = coalesce(m.imdb_id, x.imdb_id), provenance = CASE WHEN x.provenance_n IS NULL THEN x.provenance ELSE p.provenance END,
         score_value = x.score_value, score_confidence = x.score_confidence, score_votes = x.score_votes,
         score_provider_count = x.score_provider_count, score_critics = x.score_critics, score_audience = x.score_audience,
         aggregate_hash = x.hash, links_hash = coalesce(x.links_hash, m.links_hash), version = m.version + 1, updated_at = now()
        FROM moviec_bulk_movies x LEFT JOIN moviec_bulk_provenance p ON p.n = x.provenance_n
       -- The ids too: a join alone is planned as a hash of every movie, a scan of the table per chunk.
       WHERE m.id = x.id AND m.id = ANY(${ids});`,
    );
    // Straight into their tables, after the deletes above: a movie's repeated (provider, title)
    // once, the first (as moviec_write_aggregates), each genre with its id (computeBatch).
    copy('movie_titles (movie_id, provider_key, title, normalized, is_original, score)', lines.titles);
    copy('ratings (movie_id, provider_key, kind, raw_value, raw_scale, normalized, calibrated, prior_mean, prior_votes, votes)', lines.ratings);
    copy('movie_genres (movie_id, genre_id, confidence)', lines.genres);
    if (lines.unplacedGenres.length) {
      // Genres whose id Node did not know: as the set-based write joined every name on genres.
      statements.push(
        `INSERT INTO movie_genres (movie_id, genre_id, confidence)
         SELECT x.movie_id, g.id, x.confidence
           FROM jsonb_to_recordset(${sqlLiteral(JSON.stringify(lines.unplacedGenres))}::jsonb) AS x(movie_id uuid, name text, confidence float8)
           JOIN genres g ON g.name = x.name;`,
      );
    }
    if (writes.unknownGenres.length) {
      statements.push(
        `INSERT INTO genre_aliases (provider_key, alias, genre_id)
         SELECT DISTINCT x."providerKey", x.alias, NULL::int FROM jsonb_to_recordset(${sqlLiteral(JSON.stringify(writes.unknownGenres))}::jsonb) AS x("providerKey" text, alias text)
         ON CONFLICT (provider_key, alias, genre_id) DO NOTHING;`,
      );
    }
    if (search) {
      // Built in Node (search.text); the movies it leaves to the SQL (title locks) as without it.
      if (search.text) copy(SEARCH_COPY_TARGET, search.text.rows);
      if (search.sqlIds.length) statements.push(firstSearchCopySql(`'{${[...search.sqlIds].sort().join(',')}}'::uuid[]`));
    } else if (postings) statements.push(firstSearchCopySql(ids));
    else statements.push(first ? firstSearchSql(ids) : searchRefreshSql(ids));
    // Emptied for the next chunk.
    statements.push('TRUNCATE moviec_bulk_movies;');
  }
  const events = writes.events ? movieEventsSql(client, writes.events) : '';
  if (events) statements.push(events);
  const sql = statements.map(bare).join(';\n');
  if (!sql) return Promise.resolve([]);
  return batchQuery(client, sql, inputs);
}
