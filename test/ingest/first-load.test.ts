import type pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { rtCsv } from '../support/csv-files.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles, type Title } from '../support/imdb-files.js';
import { executeImport, queueImport } from '../support/pipeline.js';
import { aggregateAll } from '../../src/scoring/aggregate.js';
import type { ImportOutcome } from '../../src/services/import.js';

// A first load into an empty catalogue takes the bulk path (src/db/bulk-load.ts: indexes, keys and
// triggers set aside, plain INSERTs, then rebuilt). It must write exactly what the ordinary path
// writes, leave the schema as it found it, and leave nothing behind when it fails.

const TITLES: Title[] = [
  { tconst: 'tt0000001', title: 'The Silent Harbor', year: 1994, runtime: 142, genres: ['Drama'] },
  { tconst: 'tt0000002', title: 'Midnight in Lisbon', original: 'Meia-Noite em Lisboa', year: 2011, runtime: 101, genres: ['Romance', 'Sci-Fi'] },
  { tconst: 'tt0000003', title: 'Iron Valley', year: 1987, runtime: null, genres: [] },
  { tconst: 'tt0000004', type: 'tvSeries', title: 'Harbor Lights', year: 2001 },
  { tconst: 'tt0000006', title: 'Iron Valley', year: 2019, runtime: 118, genres: ['Action', 'Thriller'] },
  // Repeated: the last row is kept and the repetition reported.
  { tconst: 'tt0000003', title: 'Iron Valley (restored)', year: 1987, runtime: 99, genres: ['Western'] },
];
const RATINGS: [string, number, number][] = [
  ['tt0000001', 9.3, 2_900_000],
  ['tt0000002', 6.4, 812],
  ['tt0000004', 8.0, 5000],
  ['tt0000006', 5.5, 12_000],
];

/** The indexes, constraints and triggers of the two tables a bulk load sets aside, as definitions. */
async function schemaOf(pool: pg.Pool) {
  const { rows: indexes } = await pool.query(
    `SELECT indexdef FROM pg_indexes WHERE tablename IN ('movies', 'provider_records') ORDER BY indexdef`,
  );
  const { rows: constraints } = await pool.query(
    `SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def, convalidated
       FROM pg_constraint WHERE conrelid IN ('movies'::regclass, 'provider_records'::regclass) ORDER BY conname`,
  );
  const { rows: triggers } = await pool.query(
    `SELECT tgrelid::regclass::text AS tbl, tgname, tgenabled FROM pg_trigger
      WHERE NOT tgisinternal AND tgrelid IN ('movies'::regclass, 'provider_records'::regclass) ORDER BY tgname`,
  );
  // A first load fills movies' pages only in part, then gives the table its own fillfactor back.
  const { rows: options } = await pool.query(
    `SELECT relname, reloptions FROM pg_class WHERE oid IN ('movies'::regclass, 'provider_records'::regclass) ORDER BY relname`,
  );
  return { indexes, constraints, triggers, options };
}

/** What an import stored, without generated ids and times (matched_at: whether it is set, and when relative to the run). */
async function stored(pool: pg.Pool) {
  const { rows: records } = await pool.query(
    `SELECT pr.provider_key, pr.external_id, pr.title, pr.original_title, pr.year, pr.release_date, pr.runtime_minutes, pr.genres,
            pr.rating, pr.votes, pr.ratings, pr.imdb_id, pr.tmdb_id, pr.directors, pr.is_adult, pr.payload, pr.content_hash,
            m.imdb_id AS movie_imdb_id, pr.match_status, pr.match_method, pr.match_confidence, pr.match_reason,
            pr.matched_at IS NOT NULL AS matched, pr.matched_at = pr.changed_at AS matched_at_run_time,
            pr.withdrawn_at, pr.last_run_id IS NOT NULL AS has_run
       FROM provider_records pr LEFT JOIN movies m ON m.id = pr.movie_id ORDER BY pr.external_id`,
  );
  const { rows: movies } = await pool.query(`SELECT imdb_id, title, year, aggregate_hash FROM movies ORDER BY imdb_id`);
  const { rows: search } = await pool.query(`SELECT count(*)::int AS n FROM movie_search`);
  return { records, movies, search: search[0].n };
}

/** Runs an import while another connection holds a read of movies open: its lock is not granted within the wait, so the import takes the ordinary path. */
async function besideReader<T>(pool: pg.Pool, run: () => Promise<T>): Promise<T> {
  const reader = await pool.connect();
  try {
    await reader.query('BEGIN');
    await reader.query('SELECT 1 FROM movies LIMIT 1');
    const outcome = await run();
    await reader.query('COMMIT');
    return outcome;
  } finally {
    reader.release();
  }
}

/**
 * The same import into two empty catalogues: the bulk path into `bulkPool`, the ordinary one into
 * `ordinaryPool` (besideReader). Both give the same outcome and store the same rows; returns them.
 */
async function bothPaths(bulkPool: pg.Pool, ordinaryPool: pg.Pool, load: (pool: pg.Pool) => Promise<ImportOutcome | null>) {
  const bulkOutcome = await load(bulkPool);
  const ordinaryOutcome = await besideReader(ordinaryPool, () => load(ordinaryPool));
  if (!bulkOutcome || !ordinaryOutcome) throw new Error('an import did not run');
  const { runId: _b, ...counts } = bulkOutcome;
  const { runId: _o, ...ordinaryCounts } = ordinaryOutcome;
  expect(counts).toEqual(ordinaryCounts);
  const written = await stored(bulkPool);
  expect(written).toEqual(await stored(ordinaryPool));
  return { counts, written };
}

const indexOid = async (pool: pg.Pool, index = 'movies_imdb_id_key') =>
  (await pool.query<{ oid: string }>(`SELECT $1::regclass::oid::text AS oid`, [index])).rows[0]!.oid;

describe('a first load into an empty catalogue (bulk path)', () => {
  let bulk: TestDatabase;
  let ordinary: TestDatabase;
  let failing: TestDatabase;
  let files: Record<string, string>;

  beforeAll(async () => {
    [bulk, ordinary, failing] = await Promise.all([createTestDatabase(), createTestDatabase(), createTestDatabase()]);
    files = await writeFiles(await tempDir(), { 'title.basics.tsv': basicsTsv(TITLES), 'title.ratings.tsv': ratingsTsv(RATINGS) });
  });
  afterAll(async () => {
    await Promise.all([bulk?.drop(), ordinary?.drop(), failing?.drop()]);
  });

  const importInto = async (pool: pg.Pool) => {
    const runId = await queueImport(pool, 'imdb', { basics: files['title.basics.tsv'], ratings: files['title.ratings.tsv'] }, 'cli');
    return executeImport(pool, runId);
  };

  it('writes what the ordinary path writes and leaves the schema as it was', async () => {
    const schema = await schemaOf(bulk.pool);
    expect(schema).toEqual(await schemaOf(ordinary.pool));
    const bulkIndex = await indexOid(bulk.pool);
    const ordinaryIndex = await indexOid(ordinary.pool);
    const partialIndexes = ['provider_records_unmatched_idx', 'provider_records_withdrawn_at_idx'];
    const bulkPartial = await Promise.all(partialIndexes.map((index) => indexOid(bulk.pool, index)));

    // A reader holding movies through the second import keeps the bulk path out (its lock is not granted within the wait): the ordinary path.
    const { counts: bulkCounts, written } = await bothPaths(bulk.pool, ordinary.pool, importInto);

    // The bulk load rebuilt the unique index; the ordinary path left it alone.
    expect(await indexOid(bulk.pool)).not.toBe(bulkIndex);
    expect(await indexOid(ordinary.pool)).toBe(ordinaryIndex);
    // The partial indexes no first-load row enters were left in place (bulk-load.ts BULK_KEPT_INDEXES).
    expect(await Promise.all(partialIndexes.map((index) => indexOid(bulk.pool, index)))).toEqual(bulkPartial);

    expect(bulkCounts).toEqual({
      status: 'PARTIAL', rowsRead: 10, rowsChanged: 4, rowsRejected: 1, moviesQueued: 4, rowsWithdrawn: 0, error: null,
    });
    expect(written.records.map((r) => [r.external_id, r.movie_imdb_id, r.match_status, r.matched, r.matched_at_run_time])).toEqual([
      ['tt0000001', 'tt0000001', 'MATCHED', true, true],
      ['tt0000002', 'tt0000002', 'MATCHED', true, true],
      ['tt0000003', 'tt0000003', 'MATCHED', true, true],
      ['tt0000006', 'tt0000006', 'MATCHED', true, true],
    ]);
    expect(written.records[2]).toMatchObject({ title: 'Iron Valley (restored)', runtime_minutes: 99 });
    expect(await schemaOf(bulk.pool)).toEqual(schema);

    // The keys and unique indexes are back in force.
    await expect(bulk.pool.query(`INSERT INTO movies (imdb_id, title) VALUES ('tt0000001', 'again')`)).rejects.toThrow(/movies_imdb_id_key/);
    await expect(bulk.pool.query(
      `INSERT INTO provider_records (provider_key, external_id, payload, content_hash) VALUES ('imdb', 'tt0000001', '{}', 'x')`,
    )).rejects.toThrow(/provider_records_provider_key_external_id_key/);
    await expect(bulk.pool.query(
      `INSERT INTO provider_records (provider_key, external_id, payload, content_hash, movie_id) VALUES ('imdb', 'tt9', '{}', 'x', gen_random_uuid())`,
    )).rejects.toThrow(/provider_records_movie_id_fkey/);
    // And the matched-at trigger stamps again.
    await bulk.pool.query(`UPDATE provider_records SET movie_id = NULL, matched_at = NULL WHERE external_id = 'tt0000006'`);
    await bulk.pool.query(
      `UPDATE provider_records SET movie_id = (SELECT id FROM movies WHERE imdb_id = 'tt0000006') WHERE external_id = 'tt0000006'`,
    );
    const { rows } = await bulk.pool.query(`SELECT matched_at IS NOT NULL AS matched FROM provider_records WHERE external_id = 'tt0000006'`);
    expect(rows[0].matched).toBe(true);
  });

  it('a first load waits for a short holder of movies (autovacuum after a failed load) and still takes the bulk path', async () => {
    const db = await createTestDatabase();
    try {
      const before = await indexOid(db.pool);
      // What autovacuum holds while it cleans the rows a rolled-back first load left.
      const holder = await db.pool.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE movies IN SHARE UPDATE EXCLUSIVE MODE');
        let settled = false;
        const outcome = importInto(db.pool).finally(() => (settled = true));
        // Let go once the import's lock request is waiting (as autovacuum is cancelled then).
        while (!settled) {
          const { rows } = await db.pool.query(`SELECT 1 FROM pg_locks WHERE relation = 'movies'::regclass AND NOT granted`);
          if (rows.length) break;
          await new Promise((r) => setTimeout(r, 10));
        }
        await holder.query('COMMIT');
        expect(await outcome).toMatchObject({ status: 'PARTIAL', rowsChanged: 4, moviesQueued: 4 });
      } finally {
        holder.release();
      }
      // The bulk load rebuilt the unique index.
      expect(await indexOid(db.pool)).not.toBe(before);
    } finally {
      await db.drop();
    }
  });

  it('a first load whose records wait for TMDB ids and title matching decides them as the ordinary path does', async () => {
    // MovieLens creates movies too: records with an IMDb id make their movies as they are written;
    // one without shares a TMDB id with one that has (linked by it); two have only their title and
    // year to go by, which title matching weighs (the new movies have no titles before their first
    // aggregation: each makes a movie of its own).
    const dir = await tempDir();
    await writeFiles(dir, {
      'movies.csv': 'movieId,title,genres\n1,Iron Valley (1987),Western\n2,Iron Valley (1987),Western\n3,Midnight in Lisbon (2011),Romance\n'
        + '4,Midnight in Lisbon (2011),Romance\n5,A Quiet Orchard (1950),Drama\n',
      'links.csv': 'movieId,imdbId,tmdbId\n1,0000003,303\n2,,303\n3,0000002,202\n4,,\n5,,\n',
      'ratings.csv': 'userId,movieId,rating,timestamp\n1,1,4.0,1000000000\n1,2,3.5,1000000000\n2,3,5.0,1000000000\n2,4,4.5,1000000000\n3,5,2.0,1000000000\n',
    });
    const [first, second] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      const load = async (pool: pg.Pool) => executeImport(pool, await queueImport(pool, 'movielens', { dir }, 'cli'));
      const { counts: bulkCounts, written } = await bothPaths(first.pool, second.pool, load);
      expect(written.records.map((r) => [r.external_id, r.movie_imdb_id, r.match_status, r.match_method])).toEqual([
        ['1', 'tt0000003', 'MATCHED', 'imdb_id'],
        ['2', 'tt0000003', 'MATCHED', 'tmdb_id'],
        ['3', 'tt0000002', 'MATCHED', 'imdb_id'],
        ['4', null, 'MATCHED', 'created'],
        ['5', null, 'MATCHED', 'created'],
      ]);
      expect(written.movies).toHaveLength(4);
      expect(bulkCounts.moviesQueued).toBe(4);
    } finally {
      await Promise.all([first.drop(), second.drop()]);
    }
  });

  it('a first load of a provider with two kinds of rating stores the primary one (critics) as the ordinary path does, whatever the row holds', async () => {
    // Rotten Tomatoes: critics is the primary kind (the record's rating/votes columns), audience the other.
    const base = { movie_info: 'A film.', genres: 'Drama', original_release_date: '2001-05-04', runtime: 100 };
    const file = await writeFiles(await tempDir(), {
      'rt.csv': rtCsv([
        { ...base, rotten_tomatoes_link: 'm/both', movie_title: 'Both Kinds', tomatometer_rating: 91, tomatometer_count: 120, audience_rating: 85, audience_count: 5000 },
        { ...base, rotten_tomatoes_link: 'm/audience_only', movie_title: 'Audience Only', audience_rating: 70, audience_count: 600 },
        { ...base, rotten_tomatoes_link: 'm/critics_only', movie_title: 'Critics Only', tomatometer_rating: 40, tomatometer_count: 12 },
        { ...base, rotten_tomatoes_link: 'm/none', movie_title: 'No Ratings' },
      ]),
    });
    const [first, second] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      const load = async (pool: pg.Pool) => executeImport(pool, await queueImport(pool, 'rottentomatoes', { file: file['rt.csv'] }, 'cli'));
      const bulkIndex = await indexOid(first.pool);
      const { written } = await bothPaths(first.pool, second.pool, load);
      // The bulk path was taken (the unique index rebuilt).
      expect(await indexOid(first.pool)).not.toBe(bulkIndex);
      expect(written.records.map((r) => [r.external_id, r.rating, r.votes])).toEqual([
        ['m/audience_only', null, null],
        ['m/both', 91, 120],
        ['m/critics_only', 40, 12],
        ['m/none', null, null],
      ]);
    } finally {
      await Promise.all([first.drop(), second.drop()]);
    }
  });

  it('a first load leaves room in its pages for the first aggregation: the bulk rebuild rewrites each movie in its own page', async () => {
    // Enough movies for many pages: a full page (~60 loaded movies) has no room for even one aggregate.
    const titles: Title[] = Array.from({ length: 300 }, (_, i) => ({
      tconst: `tt${String(i + 1).padStart(7, '0')}`, title: `A Movie Called Number ${i + 1}`, year: 1950 + (i % 70), runtime: 80 + (i % 60),
      genres: i % 2 ? ['Drama'] : ['Comedy', 'Romance'],
    }));
    const ratings = titles.map((t, i): [string, number, number] => [t.tconst, 1 + (i % 90) / 10, 10 + i * 37]);
    const many = await writeFiles(await tempDir(), { 'title.basics.tsv': basicsTsv(titles), 'title.ratings.tsv': ratingsTsv(ratings) });
    const db = await createTestDatabase();
    try {
      const schema = await schemaOf(db.pool);
      const runId = await queueImport(db.pool, 'imdb', { basics: many['title.basics.tsv'], ratings: many['title.ratings.tsv'] }, 'cli');
      expect(await executeImport(db.pool, runId)).toMatchObject({ rowsChanged: 300, moviesQueued: 300 });
      expect(await schemaOf(db.pool)).toEqual(schema);
      const pages = async () =>
        (await db.pool.query<{ id: string; page: string }>(`SELECT id, (ctid::text::point)[0]::text AS page FROM movies ORDER BY id`)).rows;
      const loaded = await pages();
      expect(new Set(loaded.map((m) => m.page)).size).toBeGreaterThan(5);

      expect(await aggregateAll(db.pool, { bulk: true, chunk: 70 })).toEqual({ movies: 300, changed: 300, removed: 0 });
      // Every movie was rewritten (aggregated) in the page it was loaded in: heap-only updates.
      expect((await db.pool.query('SELECT count(*)::int AS n FROM movies WHERE aggregate_hash IS NULL')).rows[0].n).toBe(0);
      expect(await pages()).toEqual(loaded);
    } finally {
      await db.drop();
    }
  });

  it('a first load that fails rolls back with its indexes, keys and triggers in place and nothing written', async () => {
    const schema = await schemaOf(failing.pool);
    // A trigger of the test's own (not one a bulk load sets aside) fails the insert of one record.
    await failing.pool.query(`CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.external_id = 'tt0000006' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`);
    await failing.pool.query(`CREATE TRIGGER test_refuse BEFORE INSERT ON provider_records FOR EACH ROW EXECUTE FUNCTION test_refuse()`);
    const outcome = await importInto(failing.pool);
    expect(outcome).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/refused by the test/) });
    await failing.pool.query('DROP TRIGGER test_refuse ON provider_records');
    expect(await schemaOf(failing.pool)).toEqual(schema);
    const { rows } = await failing.pool.query(
      `SELECT (SELECT count(*) FROM movies)::int AS movies, (SELECT count(*) FROM provider_records)::int AS records,
              (SELECT count(*) FROM import_staging_records)::int AS staged`,
    );
    expect(rows[0]).toEqual({ movies: 0, records: 0, staged: 0 });

    // The same files then load in full.
    expect(await importInto(failing.pool)).toMatchObject({ status: 'PARTIAL', rowsChanged: 4, moviesQueued: 4 });
  });
});
