import { insertMovie, startTestApi, type GraphQLResponse, type TestApi } from '../support/graphql-api.js';

const SEARCH = `query ($q: String!, $genres: [String!], $filter: MovieFilter, $first: Int, $after: String) {
  searchMovies(query: $q, genres: $genres, filter: $filter, first: $first, after: $after) {
    totalCount
    edges { cursor node { id title year score { value votes } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

type Edge = { node: { id: string; title: string; score: { value: number } | null } };
const titlesOf = (res: GraphQLResponse): string[] => res.data.searchMovies.edges.map((e: Edge) => e.node.title);

describe('searchMovies: typo- and accent-tolerant title search', () => {
  let api: TestApi;
  const ids: Record<string, string> = {};
  const score = (value: number, votes = 1000) => ({ value, confidence: 0.8, votes, providerCount: 1 });

  beforeAll(async () => {
    api = await startTestApi();
    const pool = api.db.pool;
    ids.godfather = await insertMovie(pool, { title: 'The Godfather', year: 1972, score: score(92, 2_000_000), genres: [{ name: 'Crime', confidence: 1 }] });
    ids.godfather2 = await insertMovie(pool, { title: 'The Godfather Part II', year: 1974, score: score(90, 1_300_000), genres: [{ name: 'Crime', confidence: 1 }] });
    ids.shawshank = await insertMovie(pool, { title: 'The Shawshank Redemption', year: 1994, score: score(93, 2_900_000), genres: [{ name: 'Drama', confidence: 1 }] });
    ids.amelie = await insertMovie(pool, {
      title: 'Amélie',
      year: 2001,
      score: score(83, 800_000),
      titles: [
        { provider: 'imdb', title: 'Amélie', score: 1 },
        { provider: 'imdb', title: 'Le Fabuleux Destin d’Amélie Poulain', score: 0.5 },
      ],
      genres: [{ name: 'Comedy', confidence: 1 }, { name: 'Romance', confidence: 1 }],
    });
    ids.leon = await insertMovie(pool, { title: 'Léon: The Professional', year: 1994, score: score(85, 1_100_000), genres: [{ name: 'Crime', confidence: 1 }] });
    ids.furious = await insertMovie(pool, { title: 'Fast & Furious', year: 2009, score: score(58, 300_000), genres: [{ name: 'Action', confidence: 1 }] });
    // Equal relevance for "harbor", different scores; a weaker match with a higher score.
    ids.harborLow = await insertMovie(pool, { title: 'Harbor', year: 1950, score: score(50, 50) });
    ids.harborHigh = await insertMovie(pool, { title: 'Harbor', year: 2020, score: score(90, 5000), genres: [{ name: 'Drama', confidence: 1 }] });
    ids.harborNone = await insertMovie(pool, { title: 'Harbor', year: 1930 });
    ids.lights = await insertMovie(pool, { title: 'Harbor Lights', year: 1996, score: score(99, 100), genres: [{ name: 'Drama', confidence: 0.3 }] });
    for (let i = 1; i <= 25; i++) {
      const genres = i === 2 ? [{ name: 'Science Fiction', confidence: 1 }] : [];
      await insertMovie(pool, { title: `Star Voyage ${i}`, year: 1980 + i, score: i % 4 === 0 ? null : score(40 + i, i * 10), genres });
    }
  });
  afterAll(() => api.close());

  const search = (q: string, extra: Record<string, unknown> = {}) => api.gql(SEARCH, { q, ...extra });

  it.each([
    ['a transposition', 'godfahter', 'The Godfather'],
    ['a missing letter', 'shawshank redemtion', 'The Shawshank Redemption'],
    ['a wrong letter', 'amelia', 'Amélie'],
    ['British spelling', 'harbour lights', 'Harbor Lights'],
    ['no accents', 'leon the professional', 'Léon: The Professional'],
    ['accents the title lacks', 'Fást & Fúrious', 'Fast & Furious'],
    ['"and" for "&"', 'fast and furious', 'Fast & Furious'],
    ['the article moved to the end', 'Godfather, The', 'The Godfather'],
    ['upper case', 'THE SHAWSHANK REDEMPTION', 'The Shawshank Redemption'],
    ["another provider's title", 'fabuleux destin', 'Amélie'],
    ['a prefix', 'shaws', 'The Shawshank Redemption'],
  ])('finds a title despite %s', async (_, q, expected) => {
    const res = await search(q);
    expect(res.errors).toBeUndefined();
    expect(titlesOf(res)[0]).toBe(expected);
  });

  it('ranks by relevance, then by c-rating, unscored last', async () => {
    const res = await search('harbor');
    const ranked = res.data.searchMovies.edges.map((e: Edge) => e.node.id);
    expect(ranked).toEqual([ids.harborHigh, ids.harborLow, ids.harborNone, ids.lights]);
    // Both Godfathers match "godfather"; the exact title first even though scores are close.
    expect(titlesOf(await search('the godfather'))).toEqual(['The Godfather', 'The Godfather Part II']);
  });

  it('filters by genres (only genres at or above the confidence threshold), years, score and votes', async () => {
    expect(titlesOf(await search('harbor', { genres: ['drama'] }))).toEqual(['Harbor']);
    expect(titlesOf(await search('harbor', { filter: { yearFrom: 1940, yearTo: 2000 } }))).toEqual(['Harbor', 'Harbor Lights']);
    expect((await search('harbor', { filter: { minScore: 80 } })).data.searchMovies.edges.map((e: Edge) => e.node.id)).toEqual([
      ids.harborHigh,
      ids.lights,
    ]);
    expect((await search('harbor', { filter: { minVotes: 1000 } })).data.searchMovies.edges.map((e: Edge) => e.node.id)).toEqual([ids.harborHigh]);
    // genres and filter.genres combine: any of them.
    const both = await search('godfather', { genres: ['Crime'], filter: { yearFrom: 1973 } });
    expect(titlesOf(both)).toEqual(['The Godfather Part II']);
    expect(both.data.searchMovies.totalCount).toBe(1);
  });

  it('pages through 25 matches with cursors: no duplicates, no gaps, the one-page order', async () => {
    const all = titlesOf(await search('star voyage', { first: 100 }));
    expect(all).toHaveLength(25);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const res: GraphQLResponse = await search('star voyage', { first: 10, after });
      expect(res.errors).toBeUndefined();
      expect(res.data.searchMovies.totalCount).toBe(25);
      seen.push(...titlesOf(res));
      after = res.data.searchMovies.pageInfo.hasNextPage ? res.data.searchMovies.pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toEqual(all);
    expect(new Set(seen).size).toBe(25);
  });

  it("refuses a cursor of another list (movies' SCORE_DESC) with BAD_USER_INPUT", async () => {
    const movies = await api.gql(`{ movies(first: 1) { pageInfo { endCursor } } }`);
    const res = await search('harbor', { after: movies.data.movies.pageInfo.endCursor });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(/another ordering \(SCORE_DESC, not RELEVANCE\)/);
  });

  it.each([
    ["'; DROP TABLE movies; --"],
    ["harbor') OR 1=1 --"],
    ['$1::text'],
    ['\\x00'],
    ['%_%'],
    ['🎬🍿'],
    ['ـــ'],
  ])('takes %j as text: an answer, never an error, and nothing else happens', async (q) => {
    const res = await search(q);
    expect(res.errors).toBeUndefined();
    for (const title of titlesOf(res)) expect(typeof title).toBe('string');
    const { rows } = await api.db.pool.query('SELECT count(*)::int AS n FROM movies');
    expect(rows[0].n).toBe(35);
  });

  it('refuses a query over 200 characters, and an empty one, with BAD_USER_INPUT; 200 are fine', async () => {
    for (const q of ['x'.repeat(201), '', '   ']) {
      const res = await search(q);
      expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'query' });
      expect(res.errors?.[0]?.message).toBe('query must be 1 to 200 characters');
    }
    expect((await search('harbor '.repeat(28).slice(0, 200))).errors).toBeUndefined();
  });

  it('refuses too many genres, and unknown genre names with BAD_USER_INPUT listing the valid names', async () => {
    const many = await search('harbor', { genres: Array.from({ length: 51 }, (_, i) => `g${i}`) });
    expect(many.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const odd = await search('harbor', { genres: ["drama' OR '1'='1", 'dra%'] });
    expect(odd.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'genres' });
    expect(odd.errors?.[0]?.message).toContain(`Unknown genres "drama' OR '1'='1", "dra%" in genres`);
    expect(odd.errors?.[0]?.message).toMatch(/Valid genres: Action, Adult, .*Drama, .*Western; provider spellings also accepted .*Sci-Fi/);
    const inFilter = await api.gql(`{ movies(filter: { genres: ["Space Opera"] }) { totalCount } }`);
    expect(inFilter.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'filter' });
    const rest = await fetch(`${api.origin}/movies/search?query=harbor&genres=Drama,Nope`);
    expect(rest.status).toBe(400);
    expect((await rest.json()).error).toMatch(/^Unknown genre "Nope" in genres\. Valid genres: Action/);
  });

  it.each([
    ["IMDb's spelling", ['Sci-Fi']],
    ['the canonical name in another case', ['science FICTION']],
    ["TMDB's spelling", ['Science Fiction']],
    ["Rotten Tomatoes' combined genre", ['Science Fiction & Fantasy']],
    ['spacing and "and" variants', ['sci fi', 'science fiction and fantasy']],
  ])('accepts %s as a genre filter', async (_, genres) => {
    const res = await search('star voyage', { genres, first: 100 });
    expect(res.errors).toBeUndefined();
    expect(titlesOf(res)).toEqual(['Star Voyage 2']);
  });

  it('refuses NUL characters, which PostgreSQL text cannot hold, as BAD_USER_INPUT', async () => {
    for (const variables of [{ q: 'a\u0000b' }, { q: 'harbor', genres: ['a\u0000b'] }]) {
      const res = await api.gql(SEARCH, variables);
      expect(res.status).toBe(400);
      expect(res.errors?.[0]).toMatchObject({ message: 'Text arguments must not contain NUL characters (U+0000)', extensions: { code: 'BAD_USER_INPUT' } });
    }
    const literal = await api.gql(`{ movieByExternalId(provider: IMDB, externalId: "tt\\u0000") { id } }`);
    expect(literal.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const rest = await fetch(`${api.origin}/movies/search?query=a%00b`);
    expect(rest.status).toBe(400);
    expect(await rest.json()).toEqual({ error: 'Invalid search: query must not contain NUL characters' });
  });
});
