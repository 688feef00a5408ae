import type pg from 'pg';
import { SAMPLES } from '../../src/catalogue/sample.js';
import { JOB } from '../../src/jobs.js';
import { aggregateChunk } from '../../src/services/aggregation.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { drainJobs, queueImport } from '../support/pipeline.js';

// After a first import, the first `aggregate-movies` job a worker takes rebuilds the whole
// catalogue in bulk and takes the other queued aggregation jobs with it (services/aggregation.ts
// aggregateChunk), instead of thousands of chunk transactions. Thresholds are lowered for the
// bundled samples (~250 movies).
describe('an aggregate-movies job of a first import', () => {
  let db: TestDatabase;
  let catalogue: Awaited<ReturnType<typeof curated>>;
  let ids: string[];
  const bulk = { minFresh: 10, minQueuedJobs: 5 };

  const curated = async (pool: pg.Pool) => {
    const rows = async (sql: string) => (await pool.query(sql)).rows as unknown[];
    return {
      movies: await rows('SELECT id, title, year, score_value, score_votes, provenance, aggregate_hash, links_hash FROM movies ORDER BY id'),
      titles: await rows('SELECT movie_id, provider_key, title, normalized, is_original, score FROM movie_titles ORDER BY movie_id, provider_key, title'),
      ratings: await rows('SELECT movie_id, provider_key, kind, raw_value, normalized, calibrated, votes FROM ratings ORDER BY movie_id, provider_key, kind'),
      genres: await rows('SELECT movie_id, genre_id, confidence FROM movie_genres ORDER BY movie_id, genre_id'),
      search: await rows('SELECT movie_id, tokens, popularity, genre_ids, providers FROM movie_search ORDER BY movie_id'),
    };
  };
  const jobs = async () =>
    (await db.pool.query<{ task: string; n: number }>(
      'SELECT task_identifier AS task, count(*)::int AS n FROM graphile_worker.jobs GROUP BY 1 ORDER BY 1',
    )).rows;
  /** Every movie never aggregated, and its aggregation queued in chunks of 20 (as a first import queues them, in 500s). */
  const firstImportState = async () => {
    await db.pool.query('DELETE FROM graphile_worker._private_jobs');
    for (const table of ['movie_titles', 'ratings', 'movie_genres']) await db.pool.query(`DELETE FROM ${table}`);
    await db.pool.query(`UPDATE movies SET aggregate_hash = NULL, links_hash = NULL, score_value = NULL, score_votes = NULL, provenance = '{}'`);
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += 20) chunks.push(ids.slice(i, i + 20));
    await db.pool.query(
      `SELECT 1 FROM graphile_worker.add_jobs(ARRAY(
         SELECT ROW($2::text, json_build_object('movieIds', c), NULL, NULL, NULL, NULL, NULL, NULL)::graphile_worker.job_spec
           FROM jsonb_array_elements($1::jsonb) AS c))`,
      [JSON.stringify(chunks), JOB.aggregateMovies],
    );
    return chunks;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    for (const { provider, location } of SAMPLES) {
      await queueImport(db.pool, provider, location, 'cli');
      await drainJobs(db.pool);
    }
    catalogue = await curated(db.pool);
    ids = (await db.pool.query<{ id: string }>('SELECT id FROM movies ORDER BY id')).rows.map((r) => r.id);
  }, 180_000);
  afterAll(() => db.drop());

  it('rebuilds every movie in bulk and takes the queued jobs with it', async () => {
    const chunks = await firstImportState();
    expect(chunks.length).toBeGreaterThanOrEqual(bulk.minQueuedJobs);
    const invalidated: (string[] | 'all')[] = [];
    const outcome = await aggregateChunk({ pool: db.pool, invalidate: (ids) => void invalidated.push(ids) }, chunks[0]!, { bulk });
    expect(outcome.rebuilt).toEqual({ movies: ids.length, changed: ids.length, removed: 0, created: ids.length });
    // Any movie may have changed: every cached answer goes (the worker's task passes this through to the caches).
    expect(invalidated).toEqual(['all']);
    expect(await curated(db.pool)).toEqual(catalogue);
    // The queued chunks were done by the rebuild; a rematch of waiting rows follows new movies, as after any aggregation.
    expect(await jobs()).toEqual([{ task: JOB.rematchUnmatched, n: 1 }]);
  }, 120_000);

  it('aggregates only its own movies when few jobs wait, or when its movies were aggregated before', async () => {
    const chunks = await firstImportState();
    const few = await aggregateChunk({ pool: db.pool }, chunks[0]!, { bulk: { ...bulk, minQueuedJobs: chunks.length + 1 } });
    expect(few.rebuilt).toBeUndefined();
    expect(few.changed.length).toBe(chunks[0]!.length);
    // chunks[0] is aggregated now: a job of those movies (as a refit re-queues them) does not look further.
    await db.pool.query(
      `SELECT graphile_worker.add_job($1, json_build_object('movieIds', $2::text[]))`,
      [JOB.aggregateMovies, chunks[0]],
    );
    const again = await aggregateChunk({ pool: db.pool }, chunks[0]!, { bulk });
    expect(again.rebuilt).toBeUndefined();
    expect(again.unchanged).toBe(chunks[0]!.length);
    await drainJobs(db.pool);
    expect(await curated(db.pool)).toEqual(catalogue);
  }, 120_000);
});
