import pg from 'pg';
import { SAMPLES } from '../../src/catalogue/sample.js';
import { createPool } from '../../src/db/pool.js';
import { aggregateAll } from '../../src/scoring/aggregate.js';
import { curatedRows } from '../support/catalogue-rows.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { drainJobs, queueImport } from '../support/pipeline.js';

// The bulk rebuild's connections (db/aggregate-bulk.ts): each chunk's write is one query sent when
// the previous one has settled (db/batch-query.ts), the next chunks are read ahead between the
// writes. Small chunks, so that the reads ahead and the writes interleave many times.
describe('the bulk rebuild on its connections', () => {
  let db: TestDatabase;

  const curated = (pool: pg.Pool) => curatedRows(pool);

  beforeAll(async () => {
    db = await createTestDatabase();
    for (const { provider, location } of SAMPLES) {
      await queueImport(db.pool, provider, location, 'cli');
      await drainJobs(db.pool);
    }
  }, 180_000);
  afterAll(() => db.drop());

  it('never queues a statement behind another in node-postgres, and writes the same rows', async () => {
    const movies = Number((await db.pool.query('SELECT count(*) FROM movies')).rows[0].count);
    expect(movies).toBeGreaterThan(100);
    const aggregated = await curated(db.pool);

    // A rebuild that starts again from the imported movies: every aggregate forgotten.
    await db.pool.query('DELETE FROM movie_titles; DELETE FROM ratings; DELETE FROM movie_genres');
    await db.pool.query(`UPDATE movies SET aggregate_hash = NULL, links_hash = NULL, score_value = NULL, score_votes = NULL, provenance = '{}'`);

    // A pool of its own: the rebuild's three connections (its transaction, the reader, the postings').
    const pool = createPool(db.url, 3);
    try {
      // How many queries were waiting in node-postgres' own queue each time one was handed to it.
      const waiting: number[] = [];
      const prototype = pg.Client.prototype as unknown as { query: (this: { _queryQueue: unknown[] }, ...args: unknown[]) => unknown };
      const query = prototype.query;
      prototype.query = function (this: { _queryQueue: unknown[] }, ...args: unknown[]) {
        waiting.push(this._queryQueue.length);
        return query.apply(this, args);
      };
      let result;
      try {
        result = await aggregateAll(pool, { chunk: 7, bulk: true });
      } finally {
        prototype.query = query;
      }
      expect(result).toEqual({ movies, changed: movies, removed: 0 });
      expect(waiting.length).toBeGreaterThan(3 * Math.ceil(movies / 7));
      expect(waiting.filter((n) => n > 0)).toEqual([]);
    } finally {
      await pool.end();
    }
    expect(await curated(db.pool)).toEqual(aggregated);
  });
});
