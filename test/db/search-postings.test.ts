import type pg from 'pg';
import { startTestApi, type TestApi } from '../support/graphql-api.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles } from '../support/imdb-files.js';
import { importImdb } from '../support/pipeline.js';

/**
 * The posting lists of title tokens (search_postings, migrations 20261131140000 and 20261131141000) and the word counts
 * of the dictionary (search_words.movies) follow the curated tables through the real write paths:
 * an import creating movies, re-imports changing votes and titles (aggregation, which refreshes the
 * search index once per batch), and a deleted movie. After each step they equal what they are
 * derived from: one posting per (movie, token: a title word or "=" + a whole title) with the
 * movie's popularity, tokens and year, and per word the number of movies having it.
 */

interface Film {
  tconst: string;
  title: string;
  year: number;
  votes: number;
}

const FILMS: Film[] = [
  { tconst: 'tt0100001', title: 'Silent Harbor', year: 1950, votes: 120 },
  { tconst: 'tt0100002', title: 'Silent River', year: 1961, votes: 5_000 },
  { tconst: 'tt0100003', title: 'Harbor Lights', year: 1963, votes: 40 },
  { tconst: 'tt0100004', title: 'The Silent Storm', year: 2001, votes: 90_000 },
  { tconst: 'tt0100005', title: 'Storm Over Harbor', year: 1975, votes: 700 },
];

async function importFilms(pool: pg.Pool, films: Film[]) {
  const files = await writeFiles(await tempDir(), {
    'basics.tsv': basicsTsv(films.map((f) => ({ tconst: f.tconst, title: f.title, year: f.year, genres: ['Drama'] }))),
    'ratings.tsv': ratingsTsv(films.map((f) => [f.tconst, 7, f.votes] as [string, number, number])),
  });
  expect((await importImdb(pool, files['basics.tsv']!, files['ratings.tsv']!)).status).toBe('SUCCEEDED');
}

/** Differences between the postings and counts and what they are derived from (all empty when current). */
async function drift(pool: pg.Pool) {
  const missing = await pool.query(
    `SELECT s.movie_id, w FROM movie_search s, unnest(s.tokens) w
     EXCEPT
     SELECT p.movie_id, p.token FROM search_postings p JOIN movie_search s ON s.movie_id = p.movie_id
      WHERE p.popularity = s.popularity AND p.tokens = s.tokens AND p.year IS NOT DISTINCT FROM s.year`,
  );
  const extra = await pool.query(
    `SELECT p.movie_id, p.token FROM search_postings p
     EXCEPT
     SELECT s.movie_id, w FROM movie_search s, unnest(s.tokens) w`,
  );
  const counts = await pool.query(
    `SELECT w.word, w.movies, coalesce(c.n, 0) AS actual
       FROM search_words w
       LEFT JOIN (SELECT x, count(*)::int AS n FROM movie_search s, unnest(s.tokens) x WHERE x NOT LIKE '=%' GROUP BY x) c ON c.x = w.word
      WHERE w.movies <> coalesce(c.n, 0)`,
  );
  const words = await pool.query(
    `SELECT DISTINCT x FROM movie_search s, unnest(s.tokens) x WHERE x NOT LIKE '=%' EXCEPT SELECT word FROM search_words`,
  );
  return { missing: missing.rows, extra: extra.rows, counts: counts.rows, unknownWords: words.rows };
}

const NONE = { missing: [], extra: [], counts: [], unknownWords: [] };

describe('search postings and word counts', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  const search = async (q: string) => {
    // The import here runs without the API's worker: its cache learns of the changes this way.
    await api.app.cache.invalidateAll();
    const res = await api.gql(`query ($q: String!) { searchMovies(query: $q, first: 10) { edges { node { title year } } } }`, { q });
    expect(res.errors).toBeUndefined();
    return res.data.searchMovies.edges.map((e: { node: { title: string } }) => e.node.title) as string[];
  };

  it('are written for new movies, with exact counts', async () => {
    const pool = api.db.pool;
    await importFilms(pool, FILMS);
    expect(await drift(pool)).toEqual(NONE);
    const { rows } = await pool.query(`SELECT word, movies FROM search_words WHERE word IN ('silent', 'harbor', 'storm', 'lights') ORDER BY word`);
    expect(rows).toEqual([
      { word: 'harbor', movies: 3 },
      { word: 'lights', movies: 1 },
      { word: 'silent', movies: 3 },
      { word: 'storm', movies: 2 },
    ]);
    // Most popular first: the postings' order.
    expect(await search('silent')).toEqual(['The Silent Storm', 'Silent River', 'Silent Harbor']);
  });

  it('follow aggregation: new votes reorder, a new title moves the words', async () => {
    const pool = api.db.pool;
    await importFilms(pool, [
      { ...FILMS[0]!, votes: 2_000_000 },
      { ...FILMS[1]!, title: 'Silent Valley' },
      ...FILMS.slice(2),
    ]);
    expect(await drift(pool)).toEqual(NONE);
    expect(await search('silent')).toEqual(['Silent Harbor', 'The Silent Storm', 'Silent Valley']);
    expect(await search('valley')).toEqual(['Silent Valley']);
    const { rows } = await pool.query(`SELECT word, movies FROM search_words WHERE word IN ('river', 'valley') ORDER BY word`);
    expect(rows).toEqual([{ word: 'river', movies: 0 }, { word: 'valley', movies: 1 }]);
  });

  it('leave with a deleted movie', async () => {
    const pool = api.db.pool;
    await pool.query(`DELETE FROM movies WHERE imdb_id = 'tt0100005'`);
    expect(await drift(pool)).toEqual(NONE);
    const { rows } = await pool.query(`SELECT movies FROM search_words WHERE word = 'storm'`);
    expect(rows).toEqual([{ movies: 1 }]);
  });

  it('are left alone when aggregation changes nothing', async () => {
    const pool = api.db.pool;
    const before = await pool.query(`SELECT ctid::text, movie_id, token FROM search_postings ORDER BY movie_id, token`);
    await pool.query(`SELECT moviec_search_refresh(ARRAY(SELECT id FROM movies))`);
    const after = await pool.query(`SELECT ctid::text, movie_id, token FROM search_postings ORDER BY movie_id, token`);
    expect(after.rows).toEqual(before.rows);
  });
});
