/**
 * Values are only replaced by values (issue 13 point 3), through the real pipeline (queued import,
 * worker, merge, aggregation): a rejected row changes nothing stored, and a blank field follows
 * the provider's field rules (ProviderDefinition.fieldRules) — Rotten Tomatoes and MovieLens keep
 * the stored value, a row that really removes a value (MovieLens "(no genres listed)") clears it.
 */
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { csv, rtCsv } from '../support/csv-files.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles, type Title } from '../support/imdb-files.js';
import { drainJobs, importImdb, queueImport } from '../support/pipeline.js';

let db: TestDatabase;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  dir = await tempDir();
});
afterAll(() => db.drop());

async function importProvider(provider: string, location: Record<string, string>) {
  const runId = await queueImport(db.pool, provider, location, 'cli');
  await drainJobs(db.pool);
  const { rows } = await db.pool.query('SELECT id, status, rows_rejected FROM import_runs WHERE id = $1', [runId]);
  return rows[0] as { id: string; status: string; rows_rejected: number };
}

/** What a movie shows: its c-rating and each provider rating. */
async function stored(where: string, value: string) {
  const { rows: movies } = await db.pool.query(`SELECT m.id, m.score_value FROM movies m WHERE ${where} = $1`, [value]);
  const movie = movies[0] as { id: string; score_value: number | null } | undefined;
  if (!movie) return null;
  const { rows: ratings } = await db.pool.query(
    'SELECT provider_key, kind, raw_value, votes FROM ratings WHERE movie_id = $1 ORDER BY provider_key, kind', [movie.id],
  );
  return { score: movie.score_value, ratings };
}

describe('IMDb: a rejected ratings line keeps the stored rating', () => {
  const titles: Title[] = [
    { tconst: 'tt0010005', title: 'Held Rating', year: 1995, runtime: 100, genres: ['Drama'] },
    { tconst: 'tt0010006', title: 'Other Rating', year: 1996, runtime: 90, genres: ['Comedy'] },
  ];

  it('tt0010005<TAB><TAB>393672 is rejected (PARTIAL) and the movie keeps its IMDb rating and c-rating', async () => {
    const first = await writeFiles(dir, {
      'b1.tsv': basicsTsv(titles), 'r1.tsv': ratingsTsv([['tt0010005', 7.9, 390000], ['tt0010006', 6.1, 1000]]),
    });
    expect((await importImdb(db.pool, first['b1.tsv']!, first['r1.tsv']!)).status).toBe('SUCCEEDED');
    const before = await stored('m.imdb_id', 'tt0010005');
    expect(before).toEqual({ score: expect.any(Number), ratings: [{ provider_key: 'imdb', kind: 'users', raw_value: 7.9, votes: 390000 }] });

    const second = await writeFiles(dir, {
      'b2.tsv': basicsTsv(titles), 'r2.tsv': 'tconst\taverageRating\tnumVotes\ntt0010005\t\t393672\ntt0010006\t6.1\t1000\n',
    });
    const run = await importImdb(db.pool, second['b2.tsv']!, second['r2.tsv']!);
    expect(run).toMatchObject({ status: 'PARTIAL', rows_rejected: 1 });
    expect(await stored('m.imdb_id', 'tt0010005')).toEqual(before);
    const { rows } = await db.pool.query(`SELECT rating, votes FROM provider_records WHERE external_id = 'tt0010005'`);
    expect(rows).toEqual([{ rating: 7.9, votes: 390000 }]);

    // The same file again changes nothing; once the line is fixed, the new value replaces the old.
    expect((await importImdb(db.pool, second['b2.tsv']!, second['r2.tsv']!)).status).toBe('PARTIAL');
    expect(await stored('m.imdb_id', 'tt0010005')).toEqual(before);
    const fixed = await writeFiles(dir, { 'r3.tsv': ratingsTsv([['tt0010005', 8.0, 393672], ['tt0010006', 6.4, 1100]]) });
    expect((await importImdb(db.pool, second['b2.tsv']!, fixed['r3.tsv']!)).status).toBe('SUCCEEDED');
    expect((await stored('m.imdb_id', 'tt0010005'))!.ratings).toEqual([{ provider_key: 'imdb', kind: 'users', raw_value: 8, votes: 393672 }]);
  });

  it('a rejected title.basics row keeps the whole stored record (title, year, rating)', async () => {
    const { rows: before } = await db.pool.query(`SELECT title, year, rating FROM provider_records WHERE external_id = 'tt0010006'`);
    const files = await writeFiles(dir, {
      'b4.tsv': basicsTsv([titles[0]!]) + 'tt0010006\tmovie\tRenamed By A Bad Row\tRenamed\t2\t1996\t\\N\t90\tComedy\n',
      'r4.tsv': ratingsTsv([['tt0010005', 8.0, 393672], ['tt0010006', 6.4, 1100]]),
    });
    const run = await importImdb(db.pool, files['b4.tsv']!, files['r4.tsv']!);
    expect(run).toMatchObject({ status: 'PARTIAL', rows_rejected: 1 });
    const { rows: after } = await db.pool.query(`SELECT title, year, rating, withdrawn_at FROM provider_records WHERE external_id = 'tt0010006'`);
    // Kept, and seen by the run: a rejected row does not make its record vanish either.
    expect(after).toEqual([{ ...before[0], withdrawn_at: null }]);
  });
});

describe('Rotten Tomatoes: a blank field in a later file keeps the stored value', () => {
  it('a blank tomatometer_rating keeps the critics rating and the c-rating; a new audience score replaces the old', async () => {
    const row = {
      rotten_tomatoes_link: 'm/blank_kept', movie_title: 'Blank Kept', movie_info: 'A film.', genres: 'Drama',
      original_release_date: '2001-05-04', runtime: 104, tomatometer_rating: 91, tomatometer_count: 120, audience_rating: 85, audience_count: 5000,
    };
    // Rotten Tomatoes creates no movies: its rows match the movie IMDb brought, by title and year.
    const imdb = await writeFiles(dir, {
      'rt-b.tsv': basicsTsv([{ tconst: 'tt0020001', title: 'Blank Kept', year: 2001, runtime: 104, genres: ['Drama'] }]),
      'rt-r.tsv': ratingsTsv([['tt0020001', 7.2, 15000]]),
    });
    expect((await importImdb(db.pool, imdb['rt-b.tsv']!, imdb['rt-r.tsv']!)).status).toBe('SUCCEEDED');
    const first = await writeFiles(dir, { 'rt1.csv': rtCsv([row]) });
    expect((await importProvider('rottentomatoes', { file: first['rt1.csv']! })).status).toBe('SUCCEEDED');
    const before = await stored('m.title', 'Blank Kept');
    expect(before!.ratings).toEqual([
      { provider_key: 'imdb', kind: 'users', raw_value: 7.2, votes: 15000 },
      { provider_key: 'rottentomatoes', kind: 'audience', raw_value: 85, votes: 5000 },
      { provider_key: 'rottentomatoes', kind: 'critics', raw_value: 91, votes: 120 },
    ]);

    const blank = await writeFiles(dir, { 'rt2.csv': rtCsv([{ ...row, tomatometer_rating: '', tomatometer_count: '', movie_info: '', runtime: '' }]) });
    expect((await importProvider('rottentomatoes', { file: blank['rt2.csv']! })).status).toBe('SUCCEEDED');
    expect(await stored('m.title', 'Blank Kept')).toEqual(before);
    const { rows } = await db.pool.query(`SELECT overview, runtime_minutes, ratings FROM provider_records WHERE external_id = 'm/blank_kept'`);
    expect(rows[0]).toMatchObject({ overview: 'A film.', runtime_minutes: 104 });

    const newer = await writeFiles(dir, { 'rt3.csv': rtCsv([{ ...row, tomatometer_rating: '', tomatometer_count: '', audience_rating: 70, audience_count: 6000 }]) });
    expect((await importProvider('rottentomatoes', { file: newer['rt3.csv']! })).status).toBe('SUCCEEDED');
    const after = await stored('m.title', 'Blank Kept');
    expect(after!.ratings).toEqual([
      { provider_key: 'imdb', kind: 'users', raw_value: 7.2, votes: 15000 },
      { provider_key: 'rottentomatoes', kind: 'audience', raw_value: 70, votes: 6000 },
      { provider_key: 'rottentomatoes', kind: 'critics', raw_value: 91, votes: 120 },
    ]);
  });
});

describe('MovieLens: blank links keep, "(no genres listed)" removes', () => {
  it('a blank imdbId keeps the stored link; "(no genres listed)" clears the genres the earlier release gave', async () => {
    const release = async (name: string, genres: string, imdbId: string) => {
      const files = await writeFiles(dir, {
        [`${name}-movies.csv`]: csv(['movieId', 'title', 'genres'], [[501, 'Kept Link (1999)', genres]]),
        [`${name}-links.csv`]: csv(['movieId', 'imdbId', 'tmdbId'], [[501, imdbId, '']]),
        [`${name}-ratings.csv`]: csv(['userId', 'movieId', 'rating', 'timestamp'], [[1, 501, 4, 1000], [2, 501, 3, 1001]]),
      });
      const folder = `${dir}/${name}`;
      const { mkdir, rename } = await import('node:fs/promises');
      await mkdir(folder, { recursive: true });
      for (const part of ['movies', 'links', 'ratings']) await rename(files[`${name}-${part}.csv`]!, `${folder}/${part}.csv`);
      return importProvider('movielens', { dir: folder });
    };
    expect((await release('ml1', 'Comedy|Drama', '0133093')).status).toBe('SUCCEEDED');
    const record = async () =>
      (await db.pool.query(`SELECT imdb_id, genres FROM provider_records WHERE provider_key = 'movielens' AND external_id = '501'`)).rows[0];
    expect(await record()).toEqual({ imdb_id: 'tt0133093', genres: ['Comedy', 'Drama'] });

    expect((await release('ml2', 'Comedy|Drama', '')).status).toBe('SUCCEEDED');
    expect(await record()).toEqual({ imdb_id: 'tt0133093', genres: ['Comedy', 'Drama'] });

    expect((await release('ml3', '(no genres listed)', '')).status).toBe('SUCCEEDED');
    expect(await record()).toEqual({ imdb_id: 'tt0133093', genres: [] });
  });
});
