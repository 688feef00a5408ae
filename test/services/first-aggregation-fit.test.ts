import path from 'node:path';
import type pg from 'pg';
import { SAMPLES } from '../../src/catalogue/sample.js';
import { stageRebuildRatings } from '../../src/db/rebuild-ratings.js';
import { enqueueRefit } from '../../src/db/scoring-jobs.js';
import { JOB } from '../../src/jobs.js';
import { aggregateAll } from '../../src/scoring/aggregate.js';
import { refitPriors } from '../../src/scoring/priors.js';
import { fitBeforeRebuild } from '../../src/scoring/rebuild-fit.js';
import { aggregateChunk } from '../../src/services/aggregation.js';
import { providerDefinitions } from '../../src/sources/registry.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { tempDir } from '../support/imdb-files.js';
import { drainJobs, queueImport } from '../support/pipeline.js';
import { generateImdb } from '../support/reliability.js';

// A first import's aggregation in bulk fits the scoring priors from the ratings it is about to
// write, in its own transaction (scoring/rebuild-fit.ts), so that the refit the import queues finds
// its fit current and re-aggregates nothing (issue 18 point 3): the catalogue must be the one the
// old way gave, a first aggregation with the previous fit and then the refit's re-aggregation of
// every scored movie.

/** Every row aggregation writes, without the columns that count writes (version, updated_at). */
async function curated(pool: pg.Pool) {
  const rows = async (sql: string) => (await pool.query(sql)).rows as unknown[];
  return {
    movies: await rows(
      `SELECT imdb_id, title, original_title, year, release_date::text, runtime_minutes, is_adult,
              score_value, score_confidence, score_votes, score_provider_count, score_critics, score_audience,
              provenance, aggregate_hash, links_hash
         FROM movies ORDER BY imdb_id, title`,
    ),
    ratings: await rows(
      `SELECT m.imdb_id, m.title, r.provider_key, r.kind, r.raw_value, r.raw_scale, r.normalized, r.calibrated, r.prior_mean, r.prior_votes, r.votes
         FROM ratings r JOIN movies m ON m.id = r.movie_id ORDER BY m.imdb_id, m.title, r.provider_key, r.kind`,
    ),
    titles: await rows(
      `SELECT m.imdb_id, t.provider_key, t.title, t.is_original, t.score FROM movie_titles t JOIN movies m ON m.id = t.movie_id
        ORDER BY m.imdb_id, m.title, t.provider_key, t.title`,
    ),
    search: await rows(
      'SELECT m.imdb_id, s.tokens, s.popularity, s.votes, s.score FROM movie_search s JOIN movies m ON m.id = s.movie_id ORDER BY m.imdb_id, m.title',
    ),
    priors: await rows('SELECT provider_key, kind, prior_mean, prior_votes, calibration, sample_size, overlap_size FROM scoring_priors ORDER BY 1, 2'),
  };
}

const fits = async (pool: pg.Pool) =>
  (await pool.query<{ reason: string }>('SELECT reason FROM scoring_fits ORDER BY version')).rows.map((r) => r.reason);
const maxVersion = async (pool: pg.Pool) => (await pool.query<{ v: number }>('SELECT max(version)::int AS v FROM movies')).rows[0]!.v;

describe('the scoring fit of a first aggregation in bulk', () => {
  let fitted: TestDatabase;
  let refitted: TestDatabase;
  let files: { basics: string; ratings: string };

  beforeAll(async () => {
    [fitted, refitted] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    // ~1,600 movies, most of them rated: four aggregate-movies chunks of 500.
    files = await generateImdb(path.join(await tempDir(), 'imdb'), 2000, '7');
  }, 60_000);
  afterAll(async () => {
    await fitted?.drop();
    await refitted?.drop();
  });

  it('gives the catalogue of a first aggregation followed by the refit, and the refit re-aggregates nothing', async () => {
    // The real job path: the ingest job, its aggregate-movies chunks, the refit it queued.
    await queueImport(fitted.pool, 'imdb', files, 'cli');
    await drainJobs(fitted.pool, undefined, { bulkAggregation: { minFresh: 100, minQueuedJobs: 2 } });
    // The old way: the chunks aggregate with the fit there was (none), the refit adopts the new
    // ratings' fit and re-aggregates every scored movie (chunks: the bulk path writes what they write,
    // test/scoring/rebuild-equivalence.test.ts).
    await queueImport(refitted.pool, 'imdb', files, 'cli');
    await drainJobs(refitted.pool, undefined, { bulkAggregation: { minFresh: 1e9, minQueuedJobs: 1e9 } });

    const expected = await curated(refitted.pool);
    expect(expected.ratings.length).toBeGreaterThan(1000);
    expect(await fits(refitted.pool)).toEqual(['after import']);
    expect(await curated(fitted.pool)).toEqual(expected);
    // The fit was adopted by the rebuild; the refit after it kept it: every movie was written once.
    expect(await fits(fitted.pool)).toEqual(['first aggregation']);
    expect(await maxVersion(fitted.pool)).toBe(2);
    expect(await maxVersion(refitted.pool)).toBe(3);
    expect((await fitted.pool.query('SELECT count(*)::int AS n FROM graphile_worker.jobs')).rows[0].n).toBe(0);
  }, 240_000);
});

describe('the scoring fit of a bulk rebuild of several providers', () => {
  let db: TestDatabase;
  const bulk = { minFresh: 10, minQueuedJobs: 5 };

  /** Every movie never aggregated, no fit adopted yet, and the aggregation queued in chunks of 20. */
  const firstAggregationState = async () => {
    await db.pool.query('DELETE FROM graphile_worker._private_jobs');
    for (const table of ['movie_titles', 'ratings', 'movie_genres', 'scoring_priors', 'scoring_fits']) await db.pool.query(`DELETE FROM ${table}`);
    await db.pool.query(`UPDATE movies SET aggregate_hash = NULL, links_hash = NULL, score_value = NULL, score_votes = NULL, provenance = '{}'`);
    const { rows } = await db.pool.query<{ id: string }>('SELECT id FROM movies ORDER BY id');
    const chunks: string[][] = [];
    for (let i = 0; i < rows.length; i += 20) chunks.push(rows.slice(i, i + 20).map((r) => r.id));
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
    // Two MovieLens records on one movie: which of them counts is aggregation's choice (the
    // best-voted), made in Node for such movies.
    const { rows } = await db.pool.query<{ id: string }>(
      `SELECT id FROM provider_records WHERE provider_key = 'movielens' AND movie_id IS NOT NULL AND ratings <> '[]' ORDER BY external_id LIMIT 2`,
    );
    expect(rows).toHaveLength(2);
    await db.pool.query(
      'UPDATE provider_records SET movie_id = (SELECT movie_id FROM provider_records WHERE id = $1) WHERE id = $2',
      [rows[0]!.id, rows[1]!.id],
    );
  }, 180_000);
  afterAll(() => db.drop());

  it('stages exactly the ratings the rebuild writes, and scores as a refit and re-aggregation would', async () => {
    // The old way, on the same records: aggregated with no fit, refitted, every movie aggregated again.
    await firstAggregationState();
    await aggregateAll(db.pool, { bulk: false });
    expect((await refitPriors(db.pool, providerDefinitions(), 'after import')).adopted).toBe(true);
    await aggregateAll(db.pool, { bulk: false });
    const expected = await curated(db.pool);

    const chunks = await firstAggregationState();
    // The refit an import queues: the rebuild takes it with the aggregation jobs (it made its decision).
    await enqueueRefit(db.pool, 0);
    const outcome = await aggregateChunk({ pool: db.pool }, chunks[0]!, { bulk });
    expect(outcome.fit).toMatchObject({ adopted: true });
    expect((await db.pool.query(`SELECT task_identifier FROM graphile_worker.jobs WHERE task_identifier <> $1`, [JOB.rematchUnmatched])).rows).toEqual([]);
    expect(await curated(db.pool)).toEqual(expected);
    expect(await fits(db.pool)).toEqual(['first aggregation']);
    // The refit the import queued finds nothing to adopt.
    expect((await refitPriors(db.pool, providerDefinitions(), 'after import')).adopted).toBe(false);

    // What the fit is computed from, staged before any movie is written, is what was written.
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      expect(await stageRebuildRatings(client)).toBeGreaterThanOrEqual(1);
      await client.query('ROLLBACK');
      await client.query('BEGIN');
      expect(await fitBeforeRebuild(client, 'test')).toMatchObject({ adopted: false });
      const order = 'ORDER BY movie_id, provider_key, kind';
      const staged = await client.query(`SELECT movie_id, provider_key, kind, raw_value, votes FROM moviec_rebuild_ratings ${order}`);
      const written = await client.query(`SELECT movie_id, provider_key, kind, raw_value, votes FROM ratings ${order}`);
      expect(staged.rows.length).toBeGreaterThan(100);
      expect(staged.rows).toEqual(written.rows);
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
  }, 180_000);
});
