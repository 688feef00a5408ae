import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeFile } from 'node:fs/promises';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles, type Title } from '../support/imdb-files.js';
import { drainJobs, executeImport, importImdb, pendingJobs, queueImport } from '../support/pipeline.js';

const TITLES: Title[] = [
  { tconst: 'tt0000001', title: 'The Silent Harbor', year: 1994, runtime: 142, genres: ['Drama'] },
  { tconst: 'tt0000002', title: 'Midnight in Lisbon', original: 'Meia-Noite em Lisboa', year: 2011, runtime: 101, genres: ['Romance', 'Sci-Fi'] },
  { tconst: 'tt0000003', title: 'Iron Valley', year: 1987, runtime: null, genres: [] },
  { tconst: 'tt0000004', type: 'tvSeries', title: 'Harbor Lights', year: 2001 },
  { tconst: 'tt0000005', type: 'short', title: 'A Short Walk', year: 1999 },
  { tconst: 'tt0000006', title: 'Iron Valley', year: 2019, runtime: 118, genres: ['Action', 'Thriller'] },
];
const RATINGS: [string, number, number][] = [
  ['tt0000001', 9.3, 2_900_000],
  ['tt0000002', 6.4, 812],
  ['tt0000004', 8.0, 5000],
  ['tt0000006', 5.5, 12_000],
];

async function catalogue(db: TestDatabase) {
  const movies = await db.pool.query(
    `SELECT m.imdb_id, m.title, m.original_title, m.year, m.runtime_minutes, m.score_value, m.score_votes, m.version,
            m.updated_at, array(SELECT g.name FROM movie_genres mg JOIN genres g ON g.id = mg.genre_id
                                 WHERE mg.movie_id = m.id ORDER BY g.name) AS genres
       FROM movies m ORDER BY m.imdb_id`,
  );
  const ratings = await db.pool.query(
    `SELECT m.imdb_id, r.provider_key, r.kind, r.raw_value, r.raw_scale, r.normalized, r.votes
       FROM ratings r JOIN movies m ON m.id = r.movie_id ORDER BY m.imdb_id`,
  );
  const records = await db.pool.query(`SELECT external_id, content_hash, movie_id, match_status FROM provider_records ORDER BY external_id`);
  return { movies: movies.rows, ratings: ratings.rows, records: records.rows };
}

describe('IMDb files through the worker into the curated catalogue', () => {
  let db: TestDatabase;
  let dir: string;
  let files: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await tempDir();
    files = await writeFiles(dir, { 'title.basics.tsv': basicsTsv(TITLES), 'title.ratings.tsv': ratingsTsv(RATINGS) });
  });
  afterAll(() => db.drop());

  it('imports movies only, with normalised ratings, genres and a score', async () => {
    const run = await importImdb(db.pool, files['title.basics.tsv']!, files['title.ratings.tsv']!);
    expect(run).toMatchObject({ status: 'SUCCEEDED', rows_read: 10, rows_changed: 4, rows_rejected: 0, movies_queued: 4 });

    const { movies, ratings } = await catalogue(db);
    expect(movies.map((m) => [m.imdb_id, m.title, m.year])).toEqual([
      ['tt0000001', 'The Silent Harbor', 1994],
      ['tt0000002', 'Midnight in Lisbon', 2011],
      ['tt0000003', 'Iron Valley', 1987],
      ['tt0000006', 'Iron Valley', 2019],
    ]);
    expect(movies[1]).toMatchObject({ original_title: 'Meia-Noite em Lisboa', genres: ['Romance', 'Science Fiction'] });
    expect(movies[2]).toMatchObject({ runtime_minutes: null, score_value: null, genres: [] });
    expect(ratings[0]).toMatchObject({ imdb_id: 'tt0000001', provider_key: 'imdb', kind: 'users', raw_value: 9.3, raw_scale: '1-10', votes: 2_900_000 });
    expect(ratings[0].normalized).toBeCloseTo(92.22, 2);
    // The priors refit by themselves after the import: C = mean of 92.22, 60 and 50 = 67.41, m = the
    // median votes 12,000. 2.9M/2.912M·92.22 + 12,000/2.912M·67.41 = 92.12, rounded to one decimal.
    expect(movies[0].score_value).toBe(92.1);
    expect(await pendingJobs(db.pool)).toEqual([]);
  });

  it('re-importing the same files changes nothing and queues no aggregation', async () => {
    const before = await catalogue(db);
    const runId = await queueImport(db.pool, 'imdb', { basics: files['title.basics.tsv'], ratings: files['title.ratings.tsv'] }, 'cli');
    const outcome = await executeImport(db.pool, runId);
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', rowsChanged: 0, moviesQueued: 0 });
    expect(await pendingJobs(db.pool)).toEqual([]);
    expect(await catalogue(db)).toEqual(before);
  });

  it('one changed rating re-aggregates exactly that movie', async () => {
    const before = await catalogue(db);
    const changed = RATINGS.map((r): [string, number, number] => (r[0] === 'tt0000002' ? ['tt0000002', 7.1, 900] : r));
    const ratingsFile = path.join(dir, 'changed.ratings.tsv');
    await writeFile(ratingsFile, ratingsTsv(changed));
    const runId = await queueImport(db.pool, 'imdb', { basics: files['title.basics.tsv'], ratings: ratingsFile }, 'cli');
    const outcome = await executeImport(db.pool, runId);
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', rowsChanged: 1, moviesQueued: 1 });
    const jobs = await pendingJobs(db.pool);
    const movieId = before.records.find((r) => r.external_id === 'tt0000002')!.movie_id;
    expect(jobs).toEqual([{ task_identifier: 'aggregate-movie', key: `aggregate:${movieId}` }]);

    await drainJobs(db.pool);
    const after = await catalogue(db);
    for (const [i, movie] of after.movies.entries()) {
      if (movie.imdb_id === 'tt0000002') {
        expect(movie.version).toBe(before.movies[i].version + 1);
        // 900/12,900·67.78 + 12,000/12,900·67.41 (the prior fitted after the first import) = 67.44
        expect(movie.score_value).toBe(67.4);
      } else {
        expect(movie).toEqual(before.movies[i]);
      }
    }
  });

  it('aggregating again from the same rows changes nothing', async () => {
    const before = await catalogue(db);
    const { aggregateMovies } = await import('../../src/scoring/aggregate.js');
    const outcome = await aggregateMovies(db.pool, before.records.map((r) => r.movie_id));
    expect(outcome.changed).toEqual([]);
    expect(await catalogue(db)).toEqual(before);
  });
});

describe('bad IMDb input', () => {
  let db: TestDatabase;
  let dir: string;
  let good: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await tempDir();
    good = await writeFiles(dir, { 'title.basics.tsv': basicsTsv(TITLES), 'title.ratings.tsv': ratingsTsv(RATINGS) }, true);
    const run = await importImdb(db.pool, good['title.basics.tsv']!, good['title.ratings.tsv']!);
    expect(run.status).toBe('SUCCEEDED');
  });
  afterAll(() => db.drop());

  it('rejects malformed lines with their line number and reason, imports the rest, and ends PARTIAL', async () => {
    const basics = basicsTsv([
      { tconst: 'tt0000010', title: 'Good One', year: 2000, genres: ['Comedy'] },
      { tconst: 'tt0000011', title: 'Bad Year', year: 20000 },
      { tconst: 'tt0000013', title: 'Good Two', year: 2001 },
    ]).replace('\n', '\ntt0000012\tmovie\tToo Few Fields\n');
    const ratings = ratingsTsv([['tt0000010', 7.5, 100], ['tt0000013', 11, 5]]);
    const files = await writeFiles(dir, { 'bad.basics.tsv': basics, 'bad.ratings.tsv': ratings });
    const run = await importImdb(db.pool, files['bad.basics.tsv']!, files['bad.ratings.tsv']!);
    expect(run).toMatchObject({ status: 'PARTIAL', rows_rejected: 3, rows_changed: 2 });

    const { rows: errors } = await db.pool.query(
      'SELECT line, reference, reason, excerpt FROM import_errors WHERE run_id = $1 ORDER BY line', [run.id],
    );
    expect(errors).toEqual([
      { line: 2, reference: 'tt0000012', reason: 'expected 9 tab-separated fields, found 3', excerpt: 'tt0000012\tmovie\tToo Few Fields' },
      { line: 4, reference: 'tt0000011', reason: 'startYear 20000 is out of range 1870-2200', excerpt: expect.stringContaining('Bad Year') },
      { line: 3, reference: 'tt0000013', reason: 'averageRating must be a number from 1 to 10, found "11"', excerpt: 'tt0000013\t11\t5' },
    ].sort((a, b) => a.line - b.line));
    const { rows } = await db.pool.query(`SELECT imdb_id FROM movies WHERE imdb_id IN ('tt0000010','tt0000013') ORDER BY 1`);
    expect(rows.map((r) => r.imdb_id)).toEqual(['tt0000010', 'tt0000013']);
  });

  it.each([
    ['a missing file', () => Promise.resolve(path.join(dir, 'nope.tsv')), /File not found: .*nope\.tsv/],
    ['a truncated gzip file', async () => {
      const whole = gzipSync(basicsTsv([{ tconst: 'tt0000001', title: 'Renamed', year: 1994 }]).repeat(1));
      const file = path.join(dir, 'truncated.tsv.gz');
      await writeFile(file, whole.subarray(0, whole.length - 12));
      return file;
    }, /gzip data is corrupt or truncated/],
    ['a plain file cut off mid-line', async () => {
      const file = path.join(dir, 'cut.tsv');
      await writeFile(file, basicsTsv([{ tconst: 'tt0000001', title: 'Renamed', year: 1994 }]) + 'tt0000099\tmovie\tCut');
      return file;
    }, /is truncated: its last line 3 is incomplete/],
    ['a file with the wrong header', async () => {
      const file = path.join(dir, 'header.csv');
      await writeFile(file, 'tconst,titleType,primaryTitle\ntt0000001,movie,Renamed\n');
      return file;
    }, /unexpected header/],
    ['an empty file', async () => {
      const file = path.join(dir, 'empty.tsv');
      await writeFile(file, '');
      return file;
    }, /is empty/],
  ])('fails the run on %s and leaves the catalogue exactly as it was', async (_name, makeBasics, message) => {
    const before = await db.pool.query('SELECT * FROM movies ORDER BY id');
    const recordsBefore = await db.pool.query('SELECT * FROM provider_records ORDER BY id');
    const run = await importImdb(db.pool, await makeBasics(), good['title.ratings.tsv']!);
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatch(message);
    expect((await db.pool.query('SELECT * FROM movies ORDER BY id')).rows).toEqual(before.rows);
    expect((await db.pool.query('SELECT * FROM provider_records ORDER BY id')).rows).toEqual(recordsBefore.rows);
    const staged = await db.pool.query('SELECT count(*)::int AS n FROM import_staging_records');
    expect(staged.rows[0].n).toBe(0);
  });
});

describe('IMDb files over http(s)', () => {
  let db: TestDatabase;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const bodies: Record<string, Buffer> = {
      '/title.basics.tsv.gz': gzipSync(basicsTsv(TITLES)),
      '/title.ratings.tsv': Buffer.from(ratingsTsv(RATINGS)),
    };
    server = createServer((req, res) => {
      const body = bodies[req.url ?? ''];
      if (!body) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
    await db.drop();
  });

  it('streams gzip and plain files from URLs', async () => {
    const run = await importImdb(db.pool, `${base}/title.basics.tsv.gz`, `${base}/title.ratings.tsv`);
    expect(run).toMatchObject({ status: 'SUCCEEDED', rows_changed: 4 });
  });

  it('fails clearly on a 404', async () => {
    const run = await importImdb(db.pool, `${base}/missing.tsv`, `${base}/title.ratings.tsv`);
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatch(/Cannot download .*missing\.tsv.*404/);
  });
});
