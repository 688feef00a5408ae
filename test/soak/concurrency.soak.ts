/**
 * Concurrency: two `moviec worker` processes on one database work, at the same time, an IMDb
 * import that changes ratings, a MovieLens import of the same movies, and aggregation jobs whose
 * movie sets overlap (every movie in two chunks and some in a per-movie job too). Every movie must
 * end exactly as a single-threaded rebuild: the same imports run one after another in this process
 * on a fresh database, compared row by row, and a recomputation in place changes nothing.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { aggregateMovies, allMovieIds } from '../../src/scoring/aggregate.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { tempDir } from '../support/imdb-files.js';
import { drainJobs, importImdb, queueImport } from '../support/pipeline.js';
import { catalogueSnapshot, errorLines, generateImdb, integrityCounts, queuedJobs, spawnWorker, waitFor, type Child } from '../support/reliability.js';

const TITLES = Number(process.env.SOAK_CONCURRENCY_TITLES ?? 8_000);

/** MovieLens files for the first `count` movies of an IMDb basics file, linked by IMDb id. */
async function movieLensFor(basicsFile: string, dir: string, count: number): Promise<void> {
  const movies = (await readFile(basicsFile, 'utf8'))
    .split('\n').slice(1).filter(Boolean).map((line) => line.split('\t'))
    .filter((f) => f[1] === 'movie' && f[5] !== '\\N').slice(0, count);
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'movies.csv'), ['movieId,title,genres', ...movies.map((f, i) => `${i + 1},${quote(`${f[2]} (${f[5]})`)},Drama|Comedy`)].join('\n') + '\n');
  await writeFile(path.join(dir, 'links.csv'), ['movieId,imdbId,tmdbId', ...movies.map((f, i) => `${i + 1},${f[0]!.slice(2)},`)].join('\n') + '\n');
  const ratings = ['userId,movieId,rating,timestamp'];
  movies.forEach((_, i) => {
    for (let u = 1; u <= 1 + (i % 4); u++) ratings.push(`${u},${i + 1},${(1 + ((i * 7 + u) % 10)) / 2},${1_000_000_000 + i}`);
  });
  await writeFile(path.join(dir, 'ratings.csv'), ratings.join('\n') + '\n');
}

/** The IMDb ratings file with every other rating changed. */
async function changedRatings(ratingsFile: string, out: string): Promise<void> {
  const lines = (await readFile(ratingsFile, 'utf8')).split('\n');
  await writeFile(out, lines.map((line, i) => {
    const f = line.split('\t');
    if (i === 0 || f.length < 3 || i % 2) return line;
    return [f[0], (((Number(f[1]) * 10 + 13) % 90) / 10 + 1).toFixed(1), String(Number(f[2]) + 7)].join('\t');
  }).join('\n'));
}

describe(`two worker processes on one database over overlapping movies (${TITLES} titles)`, () => {
  let db: TestDatabase;
  let reference: TestDatabase;
  let dir: string;
  const workers: Child[] = [];

  beforeAll(async () => {
    [db, reference] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    dir = await tempDir();
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill('SIGKILL')));
    await Promise.all([db?.drop(), reference?.drop()]);
    await rm(dir, { recursive: true, force: true });
  });

  const idle = async (pool = db.pool) => {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM import_runs WHERE status IN ('QUEUED', 'RUNNING')`);
    return rows[0].n === 0 && Object.keys(await queuedJobs(pool)).length === 0;
  };

  it('every movie ends equal to a single-threaded rebuild', async () => {
    const files = await generateImdb(dir, TITLES);
    const ratings2 = path.join(dir, 'changed.ratings.tsv');
    await changedRatings(files.ratings, ratings2);
    const movielens = path.join(dir, 'movielens');
    await movieLensFor(files.basics, movielens, Math.round(TITLES * 0.5));

    workers.push(spawnWorker(db.url, { LOG_LEVEL: 'debug' }), spawnWorker(db.url, { LOG_LEVEL: 'debug' }));
    // Both processes are taking jobs before any is queued, however slowly this machine starts them.
    await waitFor(() => workers.every((w) => /"msg":"worker started"/.test(w.output())), 60_000, 'both workers to start');
    const started = Date.now();
    await queueImport(db.pool, 'imdb', files, 'cli');
    await waitFor(() => idle(), 120_000, 'the first import and its aggregation');
    const firstMs = Date.now() - started;

    // Both imports and overlapping aggregation chunks at once.
    const ids: string[] = [];
    for await (const chunk of allMovieIds(db.pool)) ids.push(...chunk);
    const chunks: string[][] = [];
    for (const offset of [0, 150]) for (let i = offset; i < ids.length; i += 300) chunks.push(ids.slice(i, i + 300));
    const concurrentAt = Date.now();
    await db.pool.query(
      `SELECT 1 FROM graphile_worker.add_jobs(ARRAY(
         SELECT ROW('aggregate-movies', json_build_object('movieIds', c), NULL, NULL, NULL, NULL, NULL, NULL)::graphile_worker.job_spec
           FROM jsonb_array_elements($1::jsonb) AS c))`,
      [JSON.stringify(chunks)],
    );
    await db.pool.query(
      `SELECT 1 FROM graphile_worker.add_jobs(ARRAY(
         SELECT ROW('aggregate-movie', json_build_object('movieId', id), NULL, NULL, NULL, 'aggregate:' || id, NULL, NULL)::graphile_worker.job_spec
           FROM unnest($1::uuid[]) AS id))`,
      [ids.slice(0, 500)],
    );
    const imdbRun = await queueImport(db.pool, 'imdb', { basics: files.basics, ratings: ratings2 }, 'cli');
    const movielensRun = await queueImport(db.pool, 'movielens', { dir: movielens }, 'cli');
    await waitFor(() => idle(), 150_000, 'the concurrent imports and aggregation', 100);
    const concurrentMs = Date.now() - concurrentAt;

    const { rows: runs } = await db.pool.query(`SELECT id, status, error FROM import_runs WHERE id = ANY($1::bigint[]) ORDER BY id`, [[imdbRun, movielensRun]]);
    expect(runs.map((r) => [r.status, r.error])).toEqual([['SUCCEEDED', null], ['SUCCEEDED', null]]);
    // Both processes did jobs.
    const jobsDone = workers.map((w) => (w.output().match(/"msg":"job done"/g) ?? []).length);
    expect(Math.min(...jobsDone)).toBeGreaterThan(0);
    // No error from either process; a failure shows the lines themselves.
    expect(workers.flatMap(errorLines)).toEqual([]);

    // The single-threaded rebuild: the same imports one after another, in this process.
    expect((await importImdb(reference.pool, files.basics, files.ratings)).status).toBe('SUCCEEDED');
    expect((await importImdb(reference.pool, files.basics, ratings2)).status).toBe('SUCCEEDED');
    await queueImport(reference.pool, 'movielens', { dir: movielens }, 'cli');
    await drainJobs(reference.pool);
    await waitFor(async () => {
      await drainJobs(reference.pool);
      return idle(reference.pool);
    }, 30_000, 'the reference queue to empty', 500);

    const counts = await integrityCounts(db.pool);
    expect(counts).toEqual(await integrityCounts(reference.pool));
    expect(counts).toMatchObject({ staged: 0, unaggregated: 0 });
    const [concurrent, single] = await Promise.all([catalogueSnapshot(db.pool), catalogueSnapshot(reference.pool)]);
    for (const table of ['records', 'movies', 'ratings', 'genres', 'titles'] as const) {
      expect({ table, rows: concurrent[table].length }).toEqual({ table, rows: single[table].length });
      expect(concurrent[table]).toEqual(single[table]);
    }
    let changed = 0;
    for await (const chunk of allMovieIds(db.pool)) changed += (await aggregateMovies(db.pool, chunk)).changed.length;
    expect(changed).toBe(0);

    console.log(
      `concurrency soak: ${counts.movies} movies, ${counts.records} records; first import ${firstMs} ms; ` +
        `${chunks.length} overlapping chunks + 500 movie jobs + 2 imports on two workers in ${concurrentMs} ms; jobs per worker ${jobsDone.join('/')}`,
    );
  });
});
