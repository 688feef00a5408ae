import pg from 'pg';
import { jest } from '@jest/globals';
import { findCandidateMovies, withTrigramThreshold } from '../../src/db/match-candidates.js';
import { normalizeTitle } from '../../src/matching/normalize-title.js';
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
    // Titles normalised by the one title normaliser, as aggregation stores them.
    const { rows: generated } = await pool.query<{ id: string; title: string }>(`SELECT id, title FROM movies`);
    await pool.query(
      `INSERT INTO movie_titles (movie_id, provider_key, title, normalized, score)
       SELECT id, 'imdb', title, normalized, 1 FROM unnest($1::uuid[], $2::text[], $3::text[]) AS t(id, title, normalized)`,
      [generated.map((r) => r.id), generated.map((r) => r.title), generated.map((r) => normalizeTitle(r.title))],
    );
    // The one the tests look for, with a title no generated one has.
    await pool.query(
      `INSERT INTO movies (id, title, year, score_value, score_votes, score_confidence, score_provider_count)
       VALUES ('00000000-0000-4000-8000-00000000beef', 'The Shawshank Redemption', 1994, 93, 2900000, 0.9, 1)`,
    );
    await pool.query(
      `INSERT INTO movie_titles (movie_id, provider_key, title, normalized, score)
       VALUES ('00000000-0000-4000-8000-00000000beef', 'imdb', 'The Shawshank Redemption', $1, 1)`,
      [normalizeTitle('The Shawshank Redemption')],
    );
    await pool.query('ANALYZE movies');
    await pool.query('ANALYZE movie_titles');
    // The search index was filled by triggers: statistics, as autovacuum would gather them.
    await pool.query('VACUUM ANALYZE movie_search');
    await pool.query('VACUUM ANALYZE search_postings');
    await pool.query('ANALYZE search_words');
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

  it('plans the statements search and lists really send on indexes, never a sequential scan', async () => {
    // The statements are captured as the API sends them (nothing copied by hand), then explained.
    const pool = api.db.pool;
    const sent: { text: string; values: unknown[] }[] = [];
    // On the clients, not pool.query: the API runs a request's statements on clients it tracks, to
    // cancel them when the client goes away (src/db/request-pool.ts).
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the client as `this` below
    const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
    const capture = function (this: pg.Client, ...args: unknown[]) {
      const [text, values] = args;
      const statement = typeof text === 'string' ? text : (text as { text: string }).text;
      const given = Array.isArray(values) ? values : ((text as { values?: unknown[] }).values ?? []);
      sent.push({ text: statement, values: given });
      return original.apply(this, args);
    };
    const spy = jest.spyOn(pg.Client.prototype, 'query').mockImplementation(capture);
    const searches = {
      typo: 'silent harbr',
      // A broad word reads the postings of its word in popularity order, a rare combination the GIN.
      broad: 'river',
      narrow: 'river shadow harbor',
    };
    try {
      for (const q of Object.values(searches)) {
        const res = await api.gql(`query ($q: String!) { searchMovies(query: $q, first: 20) { totalCount edges { node { title } } } }`, { q });
        expect(res.errors).toBeUndefined();
      }
      for (const order of ['SCORE_DESC', 'YEAR_DESC', 'VOTES_DESC', 'TITLE_ASC']) {
        expect((await api.gql(`{ movies(first: 20, orderBy: ${order}) { edges { node { id } } } }`)).errors).toBeUndefined();
      }
    } finally {
      spy.mockRestore();
    }
    const plan = async ({ text, values }: { text: string; values: unknown[] }) =>
      (await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, values)).rows.map((r) => r['QUERY PLAN']).join('\n');

    // Each search's statements over the index, by the query words they carry.
    const statementsOf = (q: string) =>
      sent.filter((s) => /\bmovie_search\b/.test(s.text) && q.split(' ').every((w) => JSON.stringify(s.values).includes(w)));
    for (const [name, q] of Object.entries(searches)) {
      const plans = await Promise.all(statementsOf(q).map(plan));
      expect([name, plans.length > 0]).toEqual([name, true]);
      // The tables with a row per movie (the word dictionary here holds 127 words: scanning it is right).
      for (const p of plans) expect(p).not.toMatch(/Seq Scan on (movies|movie_search|movie_titles)\b/);
      expect(plans.join('\n')).toMatch(name === 'narrow' ? /movie_search_tokens_idx/ : /movie_search_tokens_idx|search_postings_order_idx/);
    }

    // Title matching's candidate statement over movie_titles.normalized (src/db/match-candidates.ts):
    // the exact and prefix forms through the btree, the fuzzy ones through the trigram index.
    const client = await pool.connect();
    try {
      const matching: { text: string; values: unknown[] }[] = [];
      const recording = Object.create(client) as typeof client;
      recording.query = ((text: string, values?: unknown[]) => {
        matching.push({ text, values: values ?? [] });
        return client.query(text, values);
      }) as typeof client.query;
      await client.query('BEGIN');
      await withTrigramThreshold(recording, 0.5, () => findCandidateMovies(recording, [
        { record_id: 'a', norm: normalizeTitle('Silent Harbor River 3'), year: 1950, prefix: true },
        { record_id: 'b', norm: normalizeTitle('Silent Harbr Rivr'), year: 1950, prefix: false },
      ], 1, 0.5));
      const candidates = matching.find((m) => m.text.includes('movie_titles'))!;
      const matchPlan = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${candidates.text}`, candidates.values)).rows
        .map((r) => r['QUERY PLAN']).join('\n');
      expect(matchPlan).toMatch(/movie_titles_normalized_prefix_idx/);
      expect(matchPlan).toMatch(/movie_titles_normalized_trgm_idx/);
      expect(matchPlan).not.toMatch(/Seq Scan on movie_titles\b/);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }

    const lists = sent.filter((s) => /FROM movies m\b/.test(s.text) && /ORDER BY/.test(s.text) && !/movie_search/.test(s.text));
    const listPlans = (await Promise.all(lists.map(plan))).join('\n---\n');
    for (const index of ['movies_score_order_idx', 'movies_year_order_idx', 'movies_votes_order_idx', 'movies_title_order_idx']) {
      expect(listPlans).toContain(index);
    }
    expect(listPlans).not.toMatch(/Seq Scan on movies\b/);
  });
});
