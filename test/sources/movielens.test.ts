import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import type { Command } from 'commander';
import { buildFullCli, EXIT } from '../../src/cli/index.js';
import { imdbId, mean, movieLensAdapter } from '../../src/sources/movielens.js';
import { parseMovieLensTitle } from '../../src/sources/movielens-title.js';
import { type SourceItem } from '../../src/sources/types.js';
import { collect, csv } from '../support/csv-files.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { tempDir, writeFiles } from '../support/imdb-files.js';
import { drainJobs, queueImport } from '../support/pipeline.js';
import { RowError, SourceError } from '../../src/errors.js';

// The MovieLens and Rotten Tomatoes samples as they were bundled until 2026-11 (62 and 60 real films): the
// adapters' behaviour is pinned on them; the bundled samples of data/sample/ are tested in test/e2e.
const SAMPLE_DIR = fileURLToPath(new URL('../fixtures/sample-2026-11/movielens', import.meta.url));
const RT_SAMPLE = fileURLToPath(new URL('../fixtures/sample-2026-11/rottentomatoes/rotten_tomatoes_movies.csv', import.meta.url));

const LINKS = csv(['movieId', 'imdbId', 'tmdbId'], [
  [1, 114709, 862],
  [2, 113497, 8844],
  [29, 112682, 902],
  [2571, '0133093', 603],
  [40697, 105946, ''],
  [79132, 1375666, 27205],
  [122896, 1790809, 166426],
  [270000, 10872600, 634649],
  [3, 'abc', 1],
  [1, 999, 1],
]);
const MOVIES = csv(['movieId', 'title', 'genres'], [
  [1, 'Toy Story (1995)', 'Adventure|Animation|Children|Comedy|Fantasy'],
  [2, 'Jumanji (1995)', 'Adventure|Children|Fantasy'],
  [29, 'City of Lost Children, The (Cité des enfants perdus, La) (1995)', 'Adventure|Drama|Fantasy|Mystery|Sci-Fi'],
  [2571, 'Matrix, The (1999)', 'Action|Sci-Fi|Thriller'],
  [40697, 'Babylon 5', 'Sci-Fi'],
  [79132, 'Inception (2010)', 'Action|Crime|Drama|Mystery|Sci-Fi|Thriller|IMAX'],
  [122896, 'Pirates of the Caribbean: Dead Men Tell No Tales (2017)', '(no genres listed)'],
  [270000, 'Spider-Man: No Way Home (2021) ', 'Action|Adventure|Fantasy'],
  [3, 'Grumpier Old Men (1995)', 'Comedy|Romance'],
  ['x', 'Bad Id (2000)', 'Drama'],
  [5, '', 'Drama'],
]);
const RATINGS = csv(['userId', 'movieId', 'rating', 'timestamp'], [
  [1, 1, '4.0', 964982703],
  [1, 2, '3.5', 964981247],
  [2, 1, '5.0', 964982224],
  [2, 2571, '4.5', 964983815],
  [3, 1, '3.0', 964982931],
  [3, 2571, '5.0', 964982400],
  [4, 1, '6.0', 964982176],
  [4, 2, 'abc', 964984041],
  [4, 2, '', 964984041],
  [5, 8888, '4.0', 964982653],
  [6, 8888, '3.0', 964982653],
  [7, 29, '0.5', 964980868],
  [7, 79132, '4.0', 964980868],
  [8, 79132, '4.0', 964980868],
  [9, 79132, '3.5', 964980868],
  [9, 3, '3.5', 964980868],
  [10, 3, '3.5', 964980868],
  [11, 3, '4.0', 964980868],
]);

const record = (fields: Partial<Extract<SourceItem, { type: 'record' }>['record']> & { externalId: string }, line: number): SourceItem => ({
  type: 'record',
  line,
  record: {
    title: null, originalTitle: null, year: null, releaseDate: null, runtimeMinutes: null, genres: [], ratings: [], imdbId: null,
    tmdbId: null, overview: null, posterUrl: null, isAdult: false, payload: {}, ...fields,
  },
});
/** A users rating dated by the newest timestamp among its movie's ratings (the provider's own date). */
const users = (externalId: string, value: number, votes: number, latest: number): SourceItem => ({
  type: 'rating', externalId, rating: { kind: 'users', value, votes, sourceUpdatedAt: new Date(latest * 1000).toISOString() },
});

const EXPECTED: SourceItem[] = [
  { type: 'reject', line: 10, reference: '3', reason: 'links.csv: imdbId must be an IMDb number like 114709, found "abc"', excerpt: '3,abc,1' },
  { type: 'reject', line: 11, reference: '1', reason: 'links.csv: movieId 1 is linked twice; the first link (line 2) is kept', excerpt: '1,999,1' },
  record({
    externalId: '1', title: 'Toy Story', year: 1995, genres: ['Adventure', 'Animation', 'Children', 'Comedy', 'Fantasy'],
    imdbId: 'tt0114709', tmdbId: '862',
    payload: { movieId: '1', title: 'Toy Story (1995)', genres: 'Adventure|Animation|Children|Comedy|Fantasy', imdbId: '114709', tmdbId: '862' },
  }, 2),
  record({
    externalId: '2', title: 'Jumanji', year: 1995, genres: ['Adventure', 'Children', 'Fantasy'], imdbId: 'tt0113497', tmdbId: '8844',
    payload: { movieId: '2', title: 'Jumanji (1995)', genres: 'Adventure|Children|Fantasy', imdbId: '113497', tmdbId: '8844' },
  }, 3),
  record({
    externalId: '29', title: 'The City of Lost Children', originalTitle: 'La Cité des enfants perdus', year: 1995,
    genres: ['Adventure', 'Drama', 'Fantasy', 'Mystery', 'Sci-Fi'], imdbId: 'tt0112682', tmdbId: '902',
    payload: {
      movieId: '29', title: 'City of Lost Children, The (Cité des enfants perdus, La) (1995)', genres: 'Adventure|Drama|Fantasy|Mystery|Sci-Fi',
      imdbId: '112682', tmdbId: '902',
    },
  }, 4),
  record({
    externalId: '2571', title: 'The Matrix', year: 1999, genres: ['Action', 'Sci-Fi', 'Thriller'], imdbId: 'tt0133093', tmdbId: '603',
    payload: { movieId: '2571', title: 'Matrix, The (1999)', genres: 'Action|Sci-Fi|Thriller', imdbId: '0133093', tmdbId: '603' },
  }, 5),
  record({
    externalId: '40697', title: 'Babylon 5', genres: ['Sci-Fi'], imdbId: 'tt0105946',
    payload: { movieId: '40697', title: 'Babylon 5', genres: 'Sci-Fi', imdbId: '105946', tmdbId: '' },
  }, 6),
  record({
    externalId: '79132', title: 'Inception', year: 2010, genres: ['Action', 'Crime', 'Drama', 'Mystery', 'Sci-Fi', 'Thriller', 'IMAX'],
    imdbId: 'tt1375666', tmdbId: '27205',
    payload: { movieId: '79132', title: 'Inception (2010)', genres: 'Action|Crime|Drama|Mystery|Sci-Fi|Thriller|IMAX', imdbId: '1375666', tmdbId: '27205' },
  }, 7),
  record({
    externalId: '122896', title: 'Pirates of the Caribbean: Dead Men Tell No Tales', year: 2017, genres: [], imdbId: 'tt1790809', tmdbId: '166426',
    payload: { movieId: '122896', title: 'Pirates of the Caribbean: Dead Men Tell No Tales (2017)', genres: '(no genres listed)', imdbId: '1790809', tmdbId: '166426' },
    // MovieLens says there are none: the stored genres are cleared (a blank would keep them).
    removed: ['genres'],
  }, 8),
  record({
    externalId: '270000', title: 'Spider-Man: No Way Home', year: 2021, genres: ['Action', 'Adventure', 'Fantasy'], imdbId: 'tt10872600', tmdbId: '634649',
    payload: { movieId: '270000', title: 'Spider-Man: No Way Home (2021) ', genres: 'Action|Adventure|Fantasy', imdbId: '10872600', tmdbId: '634649' },
  }, 9),
  record({
    externalId: '3', title: 'Grumpier Old Men', year: 1995, genres: ['Comedy', 'Romance'],
    payload: { movieId: '3', title: 'Grumpier Old Men (1995)', genres: 'Comedy|Romance', imdbId: null, tmdbId: null },
  }, 10),
  { type: 'reject', line: 11, reference: 'x', reason: 'movies.csv: movieId must be a positive whole number, found "x"', excerpt: 'x,Bad Id (2000),Drama' },
  { type: 'reject', line: 12, reference: '5', reason: 'movies.csv: title is empty', excerpt: '5,,Drama' },
  { type: 'reject', line: 8, reference: '1', reason: 'ratings.csv: rating 6.0 is out of range 0.5-5', excerpt: '4,1,6.0,964982176', holds: 'ratings' },
  { type: 'reject', line: 9, reference: '2', reason: 'ratings.csv: rating must be a number, found "abc"', excerpt: '4,2,abc,964984041', holds: 'ratings' },
  { type: 'reject', line: 10, reference: '2', reason: 'ratings.csv: rating is empty', excerpt: '4,2,,964984041', holds: 'ratings' },
  users('1', 4, 3, 964982931),
  users('2', 3.5, 1, 964981247),
  users('2571', 4.75, 2, 964983815),
  { type: 'reject', line: 11, reference: '8888', reason: 'ratings.csv rates movieId 8888 2 times, but movies.csv does not list it', holds: 'ratings' },
  users('29', 0.5, 1, 964980868),
  users('79132', 3.833, 3, 964980868),
  users('3', 3.667, 3, 964980868),
];

describe('MovieLens title and year', () => {
  it.each([
    ['Toy Story (1995)', 'Toy Story', null, 1995],
    ['Matrix, The (1999)', 'The Matrix', null, 1999],
    ['Beautiful Mind, A (2001)', 'A Beautiful Mind', null, 2001],
    ['Godfather: Part II, The (1974)', 'The Godfather: Part II', null, 1974],
    ['City of Lost Children, The (Cité des enfants perdus, La) (1995)', 'The City of Lost Children', 'La Cité des enfants perdus', 1995],
    ['Seven (a.k.a. Se7en) (1995)', 'Seven', 'Se7en', 1995],
    ['Raiders of the Lost Ark (Indiana Jones and the Raiders of the Lost Ark) (1981)', 'Raiders of the Lost Ark', 'Indiana Jones and the Raiders of the Lost Ark', 1981],
    ['Good, the Bad and the Ugly, The (Buono, il brutto, il cattivo, Il) (1966)', 'The Good, the Bad and the Ugly', 'Il Buono, il brutto, il cattivo', 1966],
    ['Avventura, L\' (1960)', 'L\'Avventura', null, 1960],
    ['(500) Days of Summer (2009)', '(500) Days of Summer', null, 2009],
    ['Me, Myself & I (2000)', 'Me, Myself & I', null, 2000],
    ['Paris, Texas (1984)', 'Paris, Texas', null, 1984],
    ['Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb (1964)', 'Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb', null, 1964],
    ['Babylon 5', 'Babylon 5', null, null],
    ['Hamlet (2000) ', 'Hamlet', null, 2000],
    ['  Runaway Brain (1995)  ', 'Runaway Brain', null, 1995],
    ['Fawlty Towers (1975-1979)', 'Fawlty Towers', null, 1975],
    ['Death Note: Desu nôto (2006–2007)', 'Death Note: Desu nôto', null, 2006],
    ['Cosmos', 'Cosmos', null, null],
    ['1984 (1956)', '1984', null, 1956],
    ['2012 (2009)', '2012', null, 2009],
  ])('%j', (raw, title, originalTitle, year) => {
    expect(parseMovieLensTitle(raw)).toEqual({ title, originalTitle, year });
  });
});

describe('MovieLens links', () => {
  it.each([
    ['114709', 'tt0114709'],
    ['0114709', 'tt0114709'],
    ['62622', 'tt0062622'],
    ['1375666', 'tt1375666'],
    ['10872600', 'tt10872600'],
    ['tt0133093', 'tt0133093'],
    ['', null],
  ])('imdbId %j is %j', (raw, expected) => {
    expect(imdbId(raw)).toBe(expected);
  });

  it.each(['abc', '0', '12.5', 'tt'])('imdbId %j is rejected', (raw) => {
    expect(() => imdbId(raw)).toThrow(RowError);
  });
});

describe('MovieLens mean rating', () => {
  it('is the mean of half stars to 3 decimals, halves rounded up, for any counts', () => {
    // Exact integer arithmetic as the reference: mean·1000 = halves·500 / count, rounded half up.
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let trial = 0; trial < 5000; trial++) {
      const count = 1 + (next() % 400);
      let halves = 0;
      for (let i = 0; i < count; i++) halves += 1 + (next() % 10);
      const expected = Math.floor((halves * 500 * 2 + count) / (2 * count)) / 1000;
      expect(mean({ sum: halves / 2, count })).toBe(expected);
    }
  });
});

describe('MovieLens adapter', () => {
  let dir: string;
  const read = (location: string) => collect(movieLensAdapter.read({ dir: location }, {}));

  beforeAll(async () => {
    dir = await tempDir();
    await writeFiles(dir, {
      'links.csv': LINKS, 'movies.csv': MOVIES, 'ratings.csv': RATINGS,
      'tags.csv': 'this file is not read\n"unclosed',
    });
  });

  it('reads movies with their links, rejects bad rows, and gives one mean rating per movie after the ratings pass', async () => {
    expect(await read(dir)).toEqual(EXPECTED);
  });

  it('reads the same from an http(s) base URL', async () => {
    const server: Server = createServer((req, res) => {
      readFile(path.join(dir, path.basename(req.url ?? '')))
        .then((body) => res.writeHead(200, { 'content-length': body.length }).end(body))
        .catch(() => res.writeHead(404).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ml-latest/`;
      expect(await read(base)).toEqual(EXPECTED);
    } finally {
      server.close();
    }
  });

  it.each([
    ['ratings.csv is missing', { 'ratings.csv': null }, /File not found: .*ratings\.csv/],
    ['links.csv is missing', { 'links.csv': null }, /File not found: .*links\.csv/],
    ['ratings.csv is tab-separated', { 'ratings.csv': 'userId\tmovieId\trating\ttimestamp\n1\t1\t4.0\t1\n' }, /ratings\.csv: unexpected header .*tab-separated/],
    ['movies.csv lacks genres', { 'movies.csv': 'movieId,title\n1,Toy Story (1995)\n' }, /movies\.csv: unexpected header "movieId,title": missing column genres/],
    ['ratings.csv is cut off mid-row', { 'ratings.csv': 'userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2' }, /ratings\.csv is truncated: its last line 3 is incomplete/],
  ])('fails with a SourceError when %s', async (_name, files, message) => {
    const broken = await tempDir();
    const contents: Record<string, string | null> = { 'links.csv': LINKS, 'movies.csv': MOVIES, 'ratings.csv': RATINGS, ...files };
    await writeFiles(broken, Object.fromEntries(Object.entries(contents).filter((e): e is [string, string] => e[1] !== null)));
    const error = await read(broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toMatch(message);
  });

  it('needs --dir', () => {
    expect(() => movieLensAdapter.checkLocation({ file: 'x' })).toThrow(
      'MovieLens import needs --dir (folder or http(s) base URL holding movies.csv, links.csv and ratings.csv)',
    );
  });
});

/** Mean and count per movie of the sample's ratings.csv, computed the plain way. */
async function sampleMeans(): Promise<Map<string, { mean: number; count: number }>> {
  const lines = (await readFile(path.join(SAMPLE_DIR, 'ratings.csv'), 'utf8')).trim().split('\n').slice(1);
  const byMovie = new Map<string, number[]>();
  for (const line of lines) {
    const [, movieId, rating] = line.split(',');
    byMovie.set(movieId!, [...(byMovie.get(movieId!) ?? []), Number(rating)]);
  }
  return new Map([...byMovie].map(([id, values]) => [id, { mean: values.reduce((a, b) => a + b, 0) / values.length, count: values.length }]));
}

describe('MovieLens through the worker', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  async function importProvider(provider: string, location: Record<string, string>) {
    const runId = await queueImport(db.pool, provider, location, 'cli');
    await drainJobs(db.pool);
    const { rows } = await db.pool.query('SELECT * FROM import_runs WHERE id = $1', [runId]);
    return rows[0];
  }

  it('creates and rates a movie for every film of the sample, through its IMDb id', async () => {
    const run = await importProvider('movielens', { dir: SAMPLE_DIR });
    expect(run).toMatchObject({ status: 'SUCCEEDED', rows_changed: 62, rows_rejected: 0, error: null });

    const { rows: records } = await db.pool.query(
      `SELECT pr.external_id, pr.title, pr.original_title, pr.year, pr.genres, pr.imdb_id, pr.tmdb_id, pr.rating, pr.votes,
              pr.match_status, pr.match_method, m.imdb_id AS movie_imdb_id
         FROM provider_records pr LEFT JOIN movies m ON m.id = pr.movie_id
        WHERE pr.provider_key = 'movielens' ORDER BY pr.external_id::int`,
    );
    expect(records).toHaveLength(62);
    expect(records.every((r) => r.match_status === 'MATCHED' && r.match_method === 'imdb_id' && r.movie_imdb_id === r.imdb_id)).toBe(true);
    expect(records[0]).toMatchObject({ external_id: '1', title: 'Toy Story', year: 1995, imdb_id: 'tt0114709', tmdb_id: '862' });
    expect(records.find((r) => r.external_id === '4973')).toMatchObject({
      title: 'Amelie', original_title: "Le Fabuleux destin d'Amélie Poulain", year: 2001, imdb_id: 'tt0211915',
    });
    expect(records.find((r) => r.external_id === '122896')).toMatchObject({ genres: [] });
    expect(records.find((r) => r.external_id === '40697')).toMatchObject({ title: 'Babylon 5', year: null, tmdb_id: null });

    const { rows: movies } = await db.pool.query('SELECT count(*)::int AS n FROM movies');
    expect(movies[0].n).toBe(62);

    const { rows: ratings } = await db.pool.query(
      `SELECT pr.external_id, r.kind, r.raw_value, r.raw_scale, r.normalized, r.votes
         FROM ratings r JOIN provider_records pr ON pr.movie_id = r.movie_id AND pr.provider_key = r.provider_key
        WHERE r.provider_key = 'movielens'`,
    );
    const expected = await sampleMeans();
    expect(ratings).toHaveLength(expected.size);
    for (const rating of ratings) {
      const { mean: exact, count } = expected.get(rating.external_id)!;
      expect(rating).toMatchObject({ kind: 'users', raw_scale: '0.5-5', votes: count });
      expect(rating.raw_value).toBeCloseTo(exact, 2);
      expect(rating.normalized).toBe(Math.round(((rating.raw_value - 0.5) / 4.5) * 100 * 100) / 100);
    }
    const { rows: genres } = await db.pool.query(
      `SELECT array_agg(g.name ORDER BY g.name) AS names FROM movie_genres mg JOIN genres g ON g.id = mg.genre_id
         JOIN movies m ON m.id = mg.movie_id WHERE m.imdb_id = 'tt0114709'`,
    );
    expect(genres[0].names).toEqual(['Adventure', 'Animation', 'Comedy', 'Family', 'Fantasy']);
  });

  it('lets the Rotten Tomatoes sample join those movies by title and year, and keeps remakes apart', async () => {
    const run = await importProvider('rottentomatoes', { file: RT_SAMPLE });
    expect(run).toMatchObject({ status: 'SUCCEEDED', rows_rejected: 0 });
    const { rows } = await db.pool.query(
      `SELECT pr.external_id, pr.match_status, m.title, m.year FROM provider_records pr LEFT JOIN movies m ON m.id = pr.movie_id
        WHERE pr.provider_key = 'rottentomatoes' ORDER BY pr.external_id`,
    );
    const byLink = new Map(rows.map((r) => [r.external_id, r]));
    expect(byLink.get('m/matrix')).toMatchObject({ match_status: 'MATCHED', title: 'The Matrix', year: 1999 });
    expect(byLink.get('m/heat_1995')).toMatchObject({ match_status: 'MATCHED', title: 'Heat', year: 1995 });
    expect(byLink.get('m/heat')).toMatchObject({ match_status: 'UNMATCHED', title: null });
    expect(byLink.get('m/titanic')).toMatchObject({ match_status: 'MATCHED', year: 1997 });
    expect(byLink.get('m/titanic_1953')).toMatchObject({ match_status: 'UNMATCHED' });
    // "The City of Lost Children (La Cité des Enfants Perdus)" against "City of Lost Children, The (Cité des enfants perdus, La)".
    expect(byLink.get('m/city_of_lost_children')).toMatchObject({ match_status: 'MATCHED', year: 1995 });
    // Only the films MovieLens does not have stay without a movie; Rotten Tomatoes creates none.
    expect(rows.filter((r) => r.match_status !== 'MATCHED').map((r) => r.external_id)).toEqual([
      'm/0814255', 'm/0878835', 'm/10', 'm/1000013-12_angry_men', 'm/1000079-20000_leagues_under_the_sea', 'm/heat',
      'm/spring_of_the_holy_runners', 'm/the_quiet_field', 'm/titanic_1953',
    ]);
    const { rows: movies } = await db.pool.query('SELECT count(*)::int AS n FROM movies');
    expect(movies[0].n).toBe(62);
  });
});

describe('moviec import movielens and rottentomatoes', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  /** Runs `moviec ...args` in-process against the test database; returns exit code and output. */
  async function moviec(...args: string[]) {
    const lines: string[] = [];
    const capture = (...parts: unknown[]) => void lines.push(parts.join(' '));
    const spies = [jest.spyOn(console, 'log').mockImplementation(capture), jest.spyOn(console, 'error').mockImplementation(capture)];
    const env = { DATABASE_URL: process.env.DATABASE_URL, LOG_LEVEL: process.env.LOG_LEVEL };
    Object.assign(process.env, { DATABASE_URL: db.url, LOG_LEVEL: 'silent' });
    process.exitCode = undefined;
    try {
      await (await buildFullCli()).exitOverride().parseAsync(['node', 'moviec', ...args]);
      return { code: Number(process.exitCode ?? 0), lines };
    } finally {
      process.exitCode = undefined;
      for (const [key, value] of Object.entries(env)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      spies.forEach((spy) => spy.mockRestore());
    }
  }

  it('imports the MovieLens sample folder', async () => {
    const { code, lines } = await moviec('import', 'movielens', '--dir', SAMPLE_DIR);
    expect(lines.at(-1)).toMatch(/^Import run \d+ SUCCEEDED$/);
    expect(code).toBe(EXIT.SUCCEEDED);
  });

  it('imports a Rotten Tomatoes file with a bad row as PARTIAL', async () => {
    const dir = await tempDir();
    const sample = await readFile(RT_SAMPLE, 'utf8');
    const file = path.join(dir, 'rt.csv');
    await writeFiles(dir, { 'rt.csv': sample.replace('m/matrix,The Matrix,', 'm/matrix,,') });
    const { code, lines } = await moviec('import', 'rottentomatoes', '--file', file);
    expect(lines.at(-1)).toMatch(/^Import run \d+ PARTIAL$/);
    expect(code).toBe(EXIT.PARTIAL);
  });

  it('refuses a missing folder before recording a run (a usage error, not a FAILED run)', async () => {
    const { rows: before } = await db.pool.query('SELECT count(*)::int AS n FROM import_runs');
    await expect(moviec('import', 'movielens', '--dir', '/nonexistent/ml-latest')).rejects.toThrow(
      'moviec import: --dir /nonexistent/ml-latest: no such folder (looked for /nonexistent/ml-latest)',
    );
    const { rows: after } = await db.pool.query('SELECT count(*)::int AS n FROM import_runs');
    expect(after[0].n).toBe(before[0].n);
  });

  it.each([
    [['import', 'movielens'], "required option '--dir <dir>' not specified"],
    [['import', 'rottentomatoes'], "required option '--file <file>' not specified"],
  ])('%j says which option is missing', async (args, message) => {
    // Subcommands do not inherit exitOverride from the program once built: set it on each.
    const quiet = (command: Command): void => {
      command.exitOverride().configureOutput({ writeErr: () => undefined });
      command.commands.forEach(quiet);
    };
    const cli = await buildFullCli();
    quiet(cli);
    await expect(cli.parseAsync(['node', 'moviec', ...args])).rejects.toThrow(message);
  });
});
