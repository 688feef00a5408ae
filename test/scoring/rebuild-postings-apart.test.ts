import type pg from 'pg';
import { SAMPLES } from '../../src/catalogue/sample.js';
import { prepareDatabase } from '../../src/db/setup.js';
import { recoverSearchPostings } from '../../src/db/search-recovery.js';
import { aggregateAll } from '../../src/scoring/aggregate.js';
import { catalogueStructure, curatedRows } from '../support/catalogue-rows.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { drainJobs, queueImport } from '../support/pipeline.js';
import { reachedFaultPoint, spawnNode } from '../support/reliability.js';

// A first aggregation in bulk writes the search postings and the words' counts in a second
// transaction on another connection, committed just after the catalogue's (db/aggregate-bulk.ts).
// It writes what per-movie aggregation writes (the imports' own jobs, on the bundled samples), and
// a crash between the two commits is recovered at the next start-up.
describe('a first aggregation in bulk with its postings in a second transaction', () => {
  let db: TestDatabase;

  const curated = (pool: pg.Pool) => curatedRows(pool, { deletes: true });
  const structure = (pool: pg.Pool) => catalogueStructure(pool);
  /** A first aggregation's state: no movie aggregated, no curated rows, no postings, every word's count at 0. */
  const firstAggregationState = async () => {
    for (const table of ['movie_titles', 'ratings', 'movie_genres', 'search_postings']) await db.pool.query(`DELETE FROM ${table}`);
    await db.pool.query(`UPDATE movies SET aggregate_hash = NULL, links_hash = NULL, score_value = NULL, score_votes = NULL, provenance = '{}'`);
    await db.pool.query('UPDATE search_words SET movies = 0');
  };
  const pending = async () => Number((await db.pool.query('SELECT count(*) FROM search_postings_pending')).rows[0].count);

  beforeAll(async () => {
    db = await createTestDatabase();
    for (const { provider, location } of SAMPLES) {
      await queueImport(db.pool, provider, location, 'cli');
      await drainJobs(db.pool);
    }
  }, 180_000);
  afterAll(() => db.drop());

  it('writes what per-movie aggregation wrote, and restores every index and key', async () => {
    const imported = await curated(db.pool);
    const before = await structure(db.pool);
    await firstAggregationState();
    const movies = imported.movies.length;
    expect(await aggregateAll(db.pool, { chunk: 37, bulk: true })).toEqual({ movies, changed: movies, removed: 0 });
    expect(await curated(db.pool)).toEqual(imported);
    expect(await structure(db.pool)).toEqual(before);
    expect(await pending()).toBe(0);
    expect(await recoverSearchPostings(db.pool)).toBe(false);
  }, 120_000);

  it('rolls both transactions back when it fails part way', async () => {
    const catalogue = await curated(db.pool);
    const before = await structure(db.pool);
    await firstAggregationState();
    const forgotten = await curated(db.pool);
    let chunks = 0;
    await expect(
      aggregateAll(db.pool, {
        chunk: 30,
        bulk: true,
        onChunk: () => {
          if (++chunks === 3) throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    expect(await curated(db.pool)).toEqual(forgotten);
    expect(await structure(db.pool)).toEqual(before);
    expect(await pending()).toBe(0);
    // The next rebuild completes it.
    await aggregateAll(db.pool, { bulk: true });
    expect(await curated(db.pool)).toEqual(catalogue);
  }, 120_000);

  it('recovers the postings and counts at start-up after a crash between its two commits', async () => {
    const imported = await curated(db.pool);
    const before = await structure(db.pool);
    await firstAggregationState();
    const child = spawnNode(['--import', './test/support/ts-register.mjs', 'test/support/bulk-rebuild-child.mjs'], {
      DATABASE_URL: db.url,
      MOVIEC_FAULT_POINT: 'aggregate.bulk-committed',
    });
    try {
      await reachedFaultPoint(child, 'aggregate.bulk-committed');
      // The catalogue's transaction committed: the mark is there (the postings' tables are held).
      expect(await pending()).toBe(1);
    } finally {
      await child.kill('SIGKILL');
    }
    // The catalogue and movie_search are the rebuild's; the postings' transaction died with the
    // process: no postings, the words at 0, the mark left.
    const crashed = await curated(db.pool);
    for (const table of ['movies', 'titles', 'ratings', 'genres', 'search'] as const) expect(crashed[table]).toEqual(imported[table]);
    expect(crashed.postings).toEqual([]);
    expect(crashed.words).toEqual([]);
    expect(await pending()).toBe(1);

    // The next start-up rebuilds them from movie_search and removes the mark.
    await prepareDatabase(db.pool);
    expect(await pending()).toBe(0);
    expect(await curated(db.pool)).toEqual(imported);
    expect(await structure(db.pool)).toEqual(before);
  }, 180_000);
});
