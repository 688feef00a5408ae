import pg from 'pg';
import { SAMPLES } from '../../src/catalogue/sample.js';
import { createPool } from '../../src/db/pool.js';
import { aggregateAll } from '../../src/scoring/aggregate.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { drainJobs, queueImport } from '../support/pipeline.js';

// The bulk rebuild's connections (db/aggregate-bulk.ts): each chunk's write is one query sent when
// the previous one has settled (db/batch-query.ts), the next chunks are read ahead between the
// writes. Small chunks, so that the reads ahead and the writes interleave many times.
describe('the bulk rebuild on its connections', () => {
  let db: TestDatabase;

  const curated = async (pool: pg.Pool) => {
    const rows = async (sql: string) => (await pool.query(sql)).rows as unknown[];
    return {
      movies: await rows(
        `SELECT id, imdb_id, title, original_title, year, release_date::text, runtime_minutes, overview, poster_url, is_adult,
                score_value, score_confidence, score_votes, score_provider_count, score_critics, score_audience,
                provenance, locks, aggregate_hash, links_hash
           FROM movies ORDER BY id`,
      ),
      titles: await rows('SELECT movie_id, provider_key, title, normalized, is_original, score FROM movie_titles ORDER BY movie_id, provider_key, title'),
      ratings: await rows(
        `SELECT movie_id, provider_key, kind, raw_value, raw_scale, normalized, calibrated, prior_mean, prior_votes, votes
           FROM ratings ORDER BY movie_id, provider_key, kind`,
      ),
      genres: await rows('SELECT movie_id, genre_id, confidence FROM movie_genres ORDER BY movie_id, genre_id'),
      search: await rows('SELECT movie_id, tokens, popularity, votes, score, year, genre_ids, providers FROM movie_search ORDER BY movie_id'),
      postings: await rows('SELECT movie_id, token, popularity, tokens, year FROM search_postings ORDER BY movie_id, token'),
      words: await rows('SELECT word, movies FROM search_words WHERE movies > 0 ORDER BY word'),
    };
  };

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
