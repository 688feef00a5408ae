import { startTestApi, type GraphQLResponse, type TestApi } from '../support/graphql-api.js';

/**
 * Search and lists on a catalogue of 200,000 movies: answers stay fast because every statement
 * reads indexes (the plans are asserted; timings live in `npm run bench`) and stops after a page, never the whole table. (A million movies is the design
 * target; 200,000 keeps the test quick while making any full scan plainly visible.)
 */
const MOVIES = 200_000;
const WORDS = [
  'river', 'shadow', 'harbor', 'winter', 'silent', 'golden', 'broken', 'night', 'storm', 'garden', 'iron', 'glass',
  'paper', 'north', 'last', 'secret', 'crimson', 'empty', 'burning', 'hollow', 'wild', 'distant', 'velvet', 'frozen',
  'lost', 'bright', 'falling', 'hidden', 'quiet', 'stone', 'summer', 'ocean', 'desert', 'electric', 'paradise', 'echo',
  'mirror', 'thunder', 'valley', 'station', 'letter', 'orchard', 'machine', 'kingdom', 'island', 'lantern', 'circus', 'bridge',
];

describe(`search at ${MOVIES.toLocaleString('en')} movies`, () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
    const pool = api.db.pool;
    // Three-word titles from 48 words (110,592 distinct), plus a number: realistic overlap, many near-misses.
    await pool.query(
      `INSERT INTO movies (id, title, year, score_value, score_votes, score_confidence, score_provider_count)
       SELECT md5(i::text)::uuid,
              initcap(w[1 + i % 48] || ' ' || w[1 + (i / 48) % 48] || ' ' || w[1 + (i / 2304) % 48]) || ' ' || (i % 7 + 1),
              1920 + i % 100, CASE WHEN i % 10 = 0 THEN NULL ELSE (i * 7919 % 1000) / 10.0 END, i % 5000, 0.5, 1
         FROM generate_series(1, $1::int) AS i, (SELECT $2::text[] AS w) words`,
      [MOVIES, WORDS],
    );
    await pool.query(
      `INSERT INTO movie_titles (movie_id, provider_key, title, normalized, score)
       SELECT id, 'imdb', title, lower(title), 1 FROM movies`,
    );
    // The one the tests look for, with a title no generated one has.
    await pool.query(
      `INSERT INTO movies (id, title, year, score_value, score_votes, score_confidence, score_provider_count)
       VALUES ('00000000-0000-4000-8000-00000000beef', 'The Shawshank Redemption', 1994, 93, 2900000, 0.9, 1)`,
    );
    await pool.query(
      `INSERT INTO movie_titles (movie_id, provider_key, title, normalized, score)
       VALUES ('00000000-0000-4000-8000-00000000beef', 'imdb', 'The Shawshank Redemption', 'shawshank redemption', 1)`,
    );
    await pool.query('ANALYZE movies');
    await pool.query('ANALYZE movie_titles');
  }, 240_000);
  afterAll(() => api.close());

  /** Runs n requests over HTTP; each a distinct query or page, so the cache never answers. (Speed is measured by `npm run bench`, not here.) */
  async function repeat(run: (i: number) => Promise<unknown>, n = 7): Promise<void> {
    for (let i = 0; i < n; i++) await run(i);
  }

  it('finds a misspelt title among them', async () => {
    const typos = ['shawshank redemtion', 'shawshenk redemption', 'shawshank redempton', 'shawhsank redemption', 'shawshank redemption', 'shaw shank redemption', 'shawshank redemptoin'];
    await repeat(async (i) => {
      const res = await api.gql(`query ($q: String!) { searchMovies(query: $q, first: 20) { totalCount edges { node { id title } } } }`, { q: typos[i] });
      expect(res.errors).toBeUndefined();
      expect(res.data.searchMovies.edges[0].node.title).toBe('The Shawshank Redemption');
    });
  });

  it('answers a broad search (thousands of similar titles) from a bounded candidate set', async () => {
    const queries = ['silent harbor', 'winter storm', 'golden river', 'iron garden', 'paper night', 'glass shadow', 'frozen valley'];
    await repeat(async (i) => {
      const res = await api.gql(`query ($q: String!) { searchMovies(query: $q, first: 20) { totalCount edges { node { title score { value } } } } }`, { q: queries[i] });
      expect(res.errors).toBeUndefined();
      const [first] = res.data.searchMovies.edges;
      expect(first.node.title.toLowerCase()).toContain(queries[i]!.split(' ')[0]);
    });
  });

  it('pages deep into every movie list by keyset', async () => {
    let after: string | null = null;
    await repeat(async () => {
      const res: GraphQLResponse = await api.gql(
        `query ($after: String) { movies(first: 100, orderBy: VOTES_DESC, after: $after, filter: { minScore: 10 }) { edges { node { id } } pageInfo { endCursor } } }`,
        { after },
      );
      expect(res.data.movies.edges).toHaveLength(100);
      after = res.data.movies.pageInfo.endCursor;
    });
  });

  it('plans index scans, never a sequential scan of movies or movie_titles', async () => {
    const plan = async (sql: string, params: unknown[]) =>
      (await api.db.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).rows.map((r) => r['QUERY PLAN']).join('\n');
    const fuzzy = await plan(
      `SELECT t.movie_id FROM movie_titles t WHERE $1 <% t.normalized LIMIT 1000`,
      ['silent harbor'],
    );
    expect(fuzzy).toMatch(/movie_titles_normalized_trgm_idx/);
    const prefix = await plan(
      `SELECT t.movie_id FROM movie_titles t WHERE t.normalized COLLATE "C" >= $1 AND t.normalized COLLATE "C" < $1 || chr(1114111) ORDER BY t.normalized COLLATE "C" LIMIT 200`,
      ['silent'],
    );
    expect(prefix).toMatch(/movie_titles_normalized_prefix_idx/);
    // The search index: a broad word reads the covering popularity index, a rare pair the GIN.
    await api.db.pool.query('VACUUM ANALYZE movie_search');
    const broad = await plan(`SELECT s.movie_id, s.tokens FROM movie_search s WHERE s.tokens && $1::text[] ORDER BY s.popularity DESC, s.movie_id LIMIT 100`, [['river']]);
    expect(broad).toMatch(/movie_search_popularity_idx|movie_search_tokens_idx/);
    expect(broad).not.toMatch(/Seq Scan/);
    const narrow = await plan(
      `SELECT s.movie_id FROM movie_search s WHERE s.tokens && $1::text[] AND s.tokens && $2::text[] AND s.tokens && $3::text[] ORDER BY s.popularity DESC LIMIT 100`,
      [['river'], ['shadow'], ['harbor']],
    );
    expect(narrow).toMatch(/movie_search_tokens_idx/);
    expect(narrow).not.toMatch(/Seq Scan/);
    for (const [order, index] of [
      ['coalesce(m.score_value, -1) DESC, m.id DESC', 'movies_score_order_idx'],
      ['coalesce(m.year, -1) DESC, m.id DESC', 'movies_year_order_idx'],
      ['coalesce(m.score_votes, -1) DESC, m.id DESC', 'movies_votes_order_idx'],
      ['lower(m.title), m.id', 'movies_title_order_idx'],
    ] as const) {
      const listPlan = await plan(`SELECT m.id FROM movies m ORDER BY ${order} LIMIT 101`, []);
      expect(listPlan).toContain(index);
      expect(listPlan).not.toMatch(/Seq Scan/);
    }
  });
});
