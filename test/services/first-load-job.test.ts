import path from 'node:path';
import type pg from 'pg';
import { JOB, jobKey } from '../../src/jobs.js';
import { enqueueRefit } from '../../src/db/scoring-jobs.js';
import { aggregateFirstLoad } from '../../src/services/aggregation.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { tempDir } from '../support/imdb-files.js';
import { drainJobs, executeImport, pendingJobs, queueImport } from '../support/pipeline.js';
import { generateImdb } from '../support/reliability.js';

// A first load (an import into an empty catalogue: every movie is new) queues one
// `aggregate-first-load` job instead of an `aggregate-movies` chunk per 500 movies (issue 18
// point 3: the real dump queued 1,469 chunks, which the first one's bulk rebuild then deleted).
// The job rebuilds the catalogue in bulk when that pays, or queues the never-aggregated movies in
// those chunks; either way the catalogue is the one the chunks gave.

async function curated(pool: pg.Pool) {
  const rows = async (sql: string) => (await pool.query(sql)).rows as unknown[];
  return {
    movies: await rows(
      `SELECT imdb_id, title, year, score_value, score_confidence, score_votes, provenance, aggregate_hash, links_hash FROM movies ORDER BY imdb_id`,
    ),
    ratings: await rows(
      `SELECT m.imdb_id, r.provider_key, r.kind, r.raw_value, r.normalized, r.calibrated, r.votes
         FROM ratings r JOIN movies m ON m.id = r.movie_id ORDER BY m.imdb_id, r.provider_key, r.kind`,
    ),
    titles: await rows('SELECT m.imdb_id, t.provider_key, t.title, t.is_original, t.score FROM movie_titles t JOIN movies m ON m.id = t.movie_id ORDER BY 1, 2, 3'),
    genres: await rows('SELECT m.imdb_id, g.genre_id, g.confidence FROM movie_genres g JOIN movies m ON m.id = g.movie_id ORDER BY 1, 2'),
    search: await rows('SELECT m.imdb_id, s.tokens, s.popularity, s.votes, s.score FROM movie_search s JOIN movies m ON m.id = s.movie_id ORDER BY 1'),
  };
}

const unaggregated = async (pool: pg.Pool) =>
  (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM movies WHERE aggregate_hash IS NULL')).rows[0]!.n;
const fits = async (pool: pg.Pool) =>
  (await pool.query<{ reason: string }>('SELECT reason FROM scoring_fits ORDER BY version')).rows.map((r) => r.reason);

describe('the aggregation of a first load', () => {
  let inBulk: TestDatabase;
  let inChunks: TestDatabase;
  let files: { basics: string; ratings: string };

  beforeAll(async () => {
    [inBulk, inChunks] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    // ~1,200 movies: three chunks of 500.
    files = await generateImdb(path.join(await tempDir(), 'imdb'), 1500, '3');
  }, 60_000);
  afterAll(async () => {
    await inBulk?.drop();
    await inChunks?.drop();
  });

  it('is one aggregate-first-load job, which rebuilds in bulk or queues the chunks, to the same catalogue', async () => {
    for (const db of [inBulk, inChunks]) {
      const runId = await queueImport(db.pool, 'imdb', files, 'cli');
      const outcome = await executeImport(db.pool, runId);
      const movies = (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM movies')).rows[0]!.n;
      expect(movies).toBeGreaterThan(1000);
      expect(outcome).toMatchObject({ status: 'SUCCEEDED', moviesQueued: movies });
      expect(await pendingJobs(db.pool)).toEqual([{ task_identifier: JOB.aggregateFirstLoad, key: jobKey.aggregateFirstLoad }]);
      expect(await unaggregated(db.pool)).toBe(movies);
    }

    // Below the bulk threshold: the never-aggregated movies are queued in chunks of 500, in id
    // order, and the refit after them.
    await inChunks.pool.query('DELETE FROM graphile_worker._private_jobs');
    const fallback = await aggregateFirstLoad({ pool: inChunks.pool }, { bulk: { minFresh: 1e9, minQueuedJobs: 1e9 }, refitDelaySeconds: 0 });
    const movies = await unaggregated(inChunks.pool);
    expect(fallback).toEqual({ rebuilt: null, queued: movies });
    const { rows: chunks } = await inChunks.pool.query<{ ids: string[] }>(
      `SELECT j.payload->'movieIds' AS ids FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
        WHERE t.identifier = $1 ORDER BY j.id`,
      [JOB.aggregateMovies],
    );
    expect(chunks.map((c) => c.ids.length)).toEqual([500, 500, movies - 1000]);
    const { rows: all } = await inChunks.pool.query<{ id: string }>('SELECT id::text FROM movies ORDER BY id');
    expect(chunks.flatMap((c) => c.ids)).toEqual(all.map((r) => r.id));
    expect((await pendingJobs(inChunks.pool)).filter((j) => j.task_identifier !== JOB.aggregateMovies)).toEqual([
      { task_identifier: JOB.refitScoring, key: JOB.refitScoring },
    ]);
    // The chunks score with the fit there was (none); the refit adopts the ratings' fit and re-aggregates.
    await drainJobs(inChunks.pool, undefined, { bulkAggregation: { minFresh: 1e9, minQueuedJobs: 1e9 } });
    expect(await unaggregated(inChunks.pool)).toBe(0);
    expect(await fits(inChunks.pool)).toEqual(['after import']);

    // The import's refit, run while the first load's job waits, leaves the fit to that job.
    await enqueueRefit(inBulk.pool, 0);
    await inBulk.pool.query(`UPDATE graphile_worker._private_jobs SET run_at = now() + interval '1 hour' WHERE key = $1`, [jobKey.aggregateFirstLoad]);
    await drainJobs(inBulk.pool);
    expect(await pendingJobs(inBulk.pool)).toEqual([{ task_identifier: JOB.aggregateFirstLoad, key: jobKey.aggregateFirstLoad }]);
    // Above the bulk threshold: the job rebuilds the catalogue in bulk, its fit first, once.
    await inBulk.pool.query('UPDATE graphile_worker._private_jobs SET run_at = now()');
    await drainJobs(inBulk.pool, undefined, { bulkAggregation: { minFresh: 100, minQueuedJobs: 1e9 } });
    expect(await unaggregated(inBulk.pool)).toBe(0);
    expect(await fits(inBulk.pool)).toEqual(['first aggregation']);
    expect((await inBulk.pool.query('SELECT count(*)::int AS n FROM graphile_worker.jobs')).rows[0].n).toBe(0);
    expect((await inBulk.pool.query<{ v: number }>('SELECT max(version)::int AS v FROM movies')).rows[0]!.v).toBe(2);

    expect(await curated(inBulk.pool)).toEqual(await curated(inChunks.pool));
  }, 240_000);
});
