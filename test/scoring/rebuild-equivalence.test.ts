import type pg from 'pg';
import { SAMPLES } from '../../src/catalogue/sample.js';
import { aggregateAll, aggregateMovies } from '../../src/scoring/aggregate.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { drainJobs, queueImport } from '../support/pipeline.js';

// A full rebuild (`moviec aggregate --all`: large chunks, several at once) writes exactly what
// aggregating each movie on its own writes, row by row, on the bundled samples (three providers).
describe('a full rebuild equals per-movie aggregation', () => {
  let db: TestDatabase;

  /** Every row aggregation writes, without the columns that count writes (version, updated_at). */
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
    };
  };
  /** Forgets every aggregate: the next aggregation writes every movie, its titles, ratings and genres anew. */
  const forget = async () => {
    await db.pool.query('DELETE FROM movie_titles');
    await db.pool.query('DELETE FROM ratings');
    await db.pool.query('DELETE FROM movie_genres');
    await db.pool.query(`UPDATE movies SET aggregate_hash = NULL, links_hash = NULL, score_value = NULL, score_votes = NULL, provenance = '{}'`);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    for (const { provider, location } of SAMPLES) {
      await queueImport(db.pool, provider, location, 'cli');
      await drainJobs(db.pool);
    }
  }, 180_000);
  afterAll(() => db.drop());

  it('writes the same movies, titles, ratings, genres and search rows', async () => {
    const movies = Number((await db.pool.query('SELECT count(*) FROM movies')).rows[0].count);
    expect(movies).toBeGreaterThan(100);
    const imported = await curated(db.pool);

    await forget();
    expect(await aggregateAll(db.pool, { chunk: 97, parallel: 3 })).toEqual({ movies, changed: movies, removed: 0 });
    const rebuilt = await curated(db.pool);

    await forget();
    const { rows } = await db.pool.query<{ id: string }>('SELECT id FROM movies ORDER BY id');
    for (const { id } of rows) await aggregateMovies(db.pool, [id]);
    const oneByOne = await curated(db.pool);

    for (const table of ['movies', 'titles', 'ratings', 'genres', 'search'] as const) {
      expect({ table, rows: rebuilt[table].length }).toEqual({ table, rows: oneByOne[table].length });
      expect(rebuilt[table]).toEqual(oneByOne[table]);
      // The jobs the imports queued wrote the same catalogue as well.
      expect(imported[table]).toEqual(oneByOne[table]);
    }
  }, 180_000);
});
