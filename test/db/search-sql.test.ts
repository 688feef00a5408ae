import { normalizeTitle } from '../../src/matching/normalize-title.js';
import { aggregateMovies } from '../../src/scoring/aggregate.js';
import { startTestApi, type TestApi } from '../support/graphql-api.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles } from '../support/imdb-files.js';
import { importImdb } from '../support/pipeline.js';

/**
 * One title normaliser: normalizeTitle (TypeScript). SQL never normalises a title; it stores and
 * compares the forms normalizeTitle computed: movie_titles.normalized (written by aggregation),
 * the words of a search query (the search service), and title_forms for titles that exist only on
 * a movie (admin title locks), read by moviec_search_text. This test locks a corpus of real and
 * awkward titles, mis-encoded accents included, through the real aggregation, and checks that the
 * search index holds exactly the TypeScript forms: a locked title is found like the same title
 * coming from a provider.
 */
const CORPUS = [
  'The Godfather', 'Godfather, The', 'A Beautiful Mind', 'Amélie', 'Le Fabuleux Destin d’Amélie Poulain', "L'Auberge espagnole",
  'El laberinto del fauno', 'Das Boot', 'Fast & Furious', "Schindler's List", 'Ocean’s Eleven', 'WALL·E', 'Se7en', '8½',
  'M*A*S*H', 'Léon: The Professional', 'Çağan', 'Zażółć gęślą', 'Smrt úředníka', 'Åsa-Nisse', 'Crème brûlée',
  'Rocky II', '  spaced   out  ', 'Jo Jo Rabbit the',
  // UTF-8 decoded as Latin-1 on the way in: only the TypeScript repairs these.
  'AmÃ©lie', 'CafÃ© Society', 'Les MisÃ©rables', 'La CitÃ© des enfants perdus', 'Ã€ bout de souffle', 'MÃ¼nchhausen',
];

describe('the one title normaliser', () => {
  let api: TestApi;
  let movieIds: string[];

  beforeAll(async () => {
    api = await startTestApi();
    const { pool } = api.db;
    const files = await writeFiles(await tempDir(), {
      'basics.tsv': basicsTsv(CORPUS.map((_, i) => ({ tconst: `tt09${String(i).padStart(5, '0')}`, title: `Placeholder ${i}`, year: 2000, genres: ['Drama'] }))),
      'ratings.tsv': ratingsTsv(CORPUS.map((_, i) => [`tt09${String(i).padStart(5, '0')}`, 7, 100 + i] as [string, number, number])),
    });
    expect((await importImdb(pool, files['basics.tsv']!, files['ratings.tsv']!)).status).toBe('SUCCEEDED');
    const { rows } = await pool.query<{ id: string }>(`SELECT id FROM movies ORDER BY imdb_id`);
    movieIds = rows.map((r) => r.id);
    expect(movieIds).toHaveLength(CORPUS.length);
    // Lock each movie's title as an admin would, and aggregate (the real write path).
    await pool.query(
      `UPDATE movies m SET locks = jsonb_build_object('title', c.title)
         FROM unnest($1::uuid[], $2::text[]) AS c(id, title) WHERE m.id = c.id`,
      [movieIds, CORPUS],
    );
    await aggregateMovies(pool, movieIds);
  });
  afterAll(() => api.close());

  it('stores the TypeScript form of each locked title, and SQL returns exactly that form', async () => {
    const { rows } = await api.db.pool.query<{ n: string | null }>(
      `SELECT moviec_search_text(t) AS n FROM unnest($1::text[]) WITH ORDINALITY AS x(t, i) ORDER BY i`,
      [CORPUS],
    );
    expect(rows.map((r) => r.n)).toEqual(CORPUS.map(normalizeTitle));
    expect(normalizeTitle('AmÃ©lie')).toBe('amelie');
  });

  it('has no normaliser in SQL: a title TypeScript never normalised has no form there', async () => {
    const { rows } = await api.db.pool.query(`SELECT moviec_search_text('The Title Nobody Locked') AS n`);
    expect(rows).toEqual([{ n: null }]);
  });

  it('indexes each locked title for search with the same tokens as the title from a provider', async () => {
    const { rows } = await api.db.pool.query<{ id: string; locked: string[]; provider: string[] }>(
      `SELECT s.movie_id AS id,
              (SELECT array_agg(x ORDER BY x) FROM unnest(moviec_search_tokens(c.form)) x) AS locked,
              s.tokens AS provider
         FROM movie_search s JOIN unnest($1::uuid[], $2::text[]) AS c(id, form) ON c.id = s.movie_id`,
      [movieIds, CORPUS.map(normalizeTitle)],
    );
    expect(rows).toHaveLength(CORPUS.length);
    for (const row of rows) expect(row.provider).toEqual(expect.arrayContaining(row.locked ?? []));
  });

  it('finds a locked title with mis-encoded accents by its repaired spelling, as the search service normalises queries', async () => {
    for (const [query, title] of [['amelie', 'AmÃ©lie'], ['cafe society', 'CafÃ© Society'], ['munchhausen', 'MÃ¼nchhausen']] as const) {
      const res = await api.gql(`query ($q: String!) { searchMovies(query: $q, first: 5) { edges { node { title } } } }`, { q: query });
      expect(res.errors).toBeUndefined();
      expect(res.data.searchMovies.edges.map((e: { node: { title: string } }) => e.node.title)).toContain(title);
    }
  });
});
