import { insertMovie, startTestApi, type GraphQLResponse, type TestApi } from '../support/graphql-api.js';

interface Seeded {
  id: string;
  title: string;
  year: number | null;
  score: number | null;
  votes: number | null;
  genres: string[];
}

const WORDS = [
  'alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet',
  'kilo', 'lima', 'mike', 'november', 'oscar', 'papa', 'quebec', 'romeo', 'sierra', 'tango',
  'uniform', 'victor', 'whiskey', 'xray', 'yankee', 'zulu', 'amber', 'basalt', 'cobalt', 'ALPHA',
];

/** 30 movies with ties and gaps in every sort key, so tie-breaking and null placement are exercised. */
function specFor(i: number): Omit<Seeded, 'id'> {
  const score = i % 7 === 0 ? null : 50 + (i % 5) * 10;
  return {
    title: WORDS[i]!,
    year: i % 6 === 0 ? null : 1990 + (i % 4),
    score,
    votes: score == null ? null : (i % 3) * 1000,
    genres: [...(i % 2 === 0 ? ['Drama'] : []), ...(i % 3 === 0 ? ['Comedy'] : []), ...(i % 5 === 0 ? ['Science Fiction'] : [])],
  };
}

const desc = (a: number, b: number) => b - a;
const byIdDesc = (a: Seeded, b: Seeded) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
const EXPECTED_ORDER: Record<string, (a: Seeded, b: Seeded) => number> = {
  SCORE_DESC: (a, b) => desc(a.score ?? -1, b.score ?? -1) || byIdDesc(a, b),
  YEAR_DESC: (a, b) => desc(a.year ?? -1, b.year ?? -1) || byIdDesc(a, b),
  VOTES_DESC: (a, b) => desc(a.votes ?? -1, b.votes ?? -1) || byIdDesc(a, b),
  TITLE_ASC: (a, b) => a.title.toLowerCase().localeCompare(b.title.toLowerCase(), 'en') || -byIdDesc(a, b),
};

const PAGE = `query ($filter: MovieFilter, $orderBy: MovieOrder, $first: Int, $after: String) {
  movies(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    edges { cursor node { id title year score { value votes } genres { name } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

describe('GraphQL: movie lists', () => {
  let api: TestApi;
  let movies: Seeded[];

  async function walk(variables: Record<string, unknown>, first: number) {
    const ids: string[] = [];
    const totals = new Set<number>();
    let after: string | null = null;
    for (let pages = 0; pages < 50; pages++) {
      const res: GraphQLResponse = await api.gql(PAGE, { ...variables, first, after });
      expect(res.errors).toBeUndefined();
      const { edges, pageInfo, totalCount } = res.data.movies;
      expect(edges.length).toBeLessThanOrEqual(first);
      ids.push(...edges.map((e: { node: { id: string } }) => e.node.id));
      totals.add(totalCount);
      if (edges.length) expect(pageInfo.endCursor).toBe(edges.at(-1).cursor);
      if (!pageInfo.hasNextPage) return { ids, totals: [...totals] };
      after = pageInfo.endCursor;
    }
    throw new Error('pagination did not end');
  }

  beforeAll(async () => {
    api = await startTestApi();
    movies = [];
    for (let i = 0; i < WORDS.length; i++) {
      const spec = specFor(i);
      const id = await insertMovie(api.db.pool, {
        title: spec.title,
        year: spec.year,
        score: spec.score == null ? null : { value: spec.score, confidence: 0.5, votes: spec.votes, providerCount: 1 },
        genres: spec.genres.map((name) => ({ name, confidence: 1 })),
      });
      movies.push({ id, ...spec });
    }
  });
  afterAll(() => api.close());

  it('orders by score by default, highest first and unscored movies last', async () => {
    const res = await api.gql(`{ movies { totalCount edges { node { id score { value } } } pageInfo { hasNextPage } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.movies.totalCount).toBe(30);
    expect(res.data.movies.edges).toHaveLength(20);
    expect(res.data.movies.pageInfo.hasNextPage).toBe(true);
    const expected = [...movies].sort(EXPECTED_ORDER.SCORE_DESC).slice(0, 20).map((m) => m.id);
    expect(res.data.movies.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(expected);
  });

  it.each(Object.keys(EXPECTED_ORDER))('pages through %s without duplicates or gaps', async (orderBy) => {
    const { ids, totals } = await walk({ orderBy }, 7);
    expect(ids).toEqual([...movies].sort(EXPECTED_ORDER[orderBy]).map((m) => m.id));
    expect(totals).toEqual([30]);
  });

  it('puts unscored movies after every scored one in SCORE_DESC', async () => {
    const { ids } = await walk({ orderBy: 'SCORE_DESC' }, 100);
    const scores = ids.map((id) => movies.find((m) => m.id === id)!.score);
    const firstNull = scores.indexOf(null);
    expect(firstNull).toBeGreaterThan(0);
    expect(scores.slice(firstNull).every((s) => s === null)).toBe(true);
  });

  it.each([
    ['genres (any of, case-insensitive)', { genres: ['comedy', 'SCIENCE FICTION'] }, (m: Seeded) => m.genres.includes('Comedy') || m.genres.includes('Science Fiction')],
    ['an inclusive year range', { yearFrom: 1991, yearTo: 1992 }, (m: Seeded) => m.year != null && m.year >= 1991 && m.year <= 1992],
    ['a minimum score', { minScore: 80 }, (m: Seeded) => m.score != null && m.score >= 80],
    ['a minimum vote count', { minVotes: 1000 }, (m: Seeded) => m.votes != null && m.votes >= 1000],
    ['all conditions together', { genres: ['Drama'], yearFrom: 1991, minScore: 60, minVotes: 1 }, (m: Seeded) =>
      m.genres.includes('Drama') && m.year != null && m.year >= 1991 && m.score != null && m.score >= 60 && m.votes != null && m.votes >= 1],
  ])('filters by %s, counting only matching movies', async (_, filter, predicate) => {
    const expected = movies.filter(predicate).sort(EXPECTED_ORDER.SCORE_DESC).map((m) => m.id);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(30);
    const { ids, totals } = await walk({ filter }, 4);
    expect(ids).toEqual(expected);
    expect(totals).toEqual([expected.length]);
  });

  it('returns an empty page for a filter nothing matches', async () => {
    const res = await api.gql(PAGE, { filter: { genres: ['Western'] } });
    expect(res.data.movies).toEqual({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it.each([
    ['first above 100', { first: 500 }, 'first'],
    ['first of 0', { first: 0 }, 'first'],
    ['a malformed cursor', { after: 'not-a-cursor' }, 'after'],
    ['a cursor of a valid shape but bad id', { after: Buffer.from(JSON.stringify(['SCORE_DESC', [1], 'x'])).toString('base64url') }, 'after'],
    ['an inverted year range', { filter: { yearFrom: 2000, yearTo: 1990 } }, 'filter'],
  ])('rejects %s with BAD_USER_INPUT', async (_, variables, argumentName) => {
    const res = await api.gql(PAGE, variables);
    expect(res.data).toBeNull();
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName });
  });

  it('rejects a cursor from another ordering', async () => {
    const first = await api.gql(PAGE, { orderBy: 'YEAR_DESC', first: 2 });
    const res = await api.gql(PAGE, { orderBy: 'TITLE_ASC', after: first.data.movies.pageInfo.endCursor });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(/another ordering/);
  });
});

describe('GraphQL: searchMovies', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
    const pool = api.db.pool;
    await insertMovie(pool, { title: 'Harbor Lights', score: { value: 70, confidence: 1, votes: 10, providerCount: 1 }, genres: [{ name: 'Drama', confidence: 1 }] });
    await insertMovie(pool, { title: 'The Silent Harbor', titles: [{ provider: 'imdb', title: 'The Silent Harbor', score: 1 }], genres: [{ name: 'Thriller', confidence: 1 }] });
    await insertMovie(pool, { title: 'Harbor', score: { value: 50, confidence: 1, votes: 5000, providerCount: 1 } });
    await insertMovie(pool, { title: 'Le Port', titles: [{ provider: 'imdb', title: 'Harbor of Shadows', score: 0.2 }] });
    await insertMovie(pool, { title: 'Iron Valley' });
    await insertMovie(pool, { title: '100% Harbor' });
  });
  afterAll(() => api.close());

  const SEARCH = `query ($q: String!, $genres: [String!], $first: Int, $after: String) {
    searchMovies(query: $q, genres: $genres, first: $first, after: $after) {
      totalCount edges { node { title } } pageInfo { hasNextPage endCursor }
    }
  }`;

  it('finds titles containing the query, in curated or provider titles, best match first', async () => {
    const res = await api.gql(SEARCH, { q: 'harbor' });
    expect(res.errors).toBeUndefined();
    const titles = res.data.searchMovies.edges.map((e: { node: { title: string } }) => e.node.title);
    expect(titles[0]).toBe('Harbor');
    expect([...titles].sort()).toEqual(['100% Harbor', 'Harbor', 'Harbor Lights', 'Le Port', 'The Silent Harbor']);
    expect(res.data.searchMovies.totalCount).toBe(5);
  });

  it('pages through results and filters by genre', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const res: GraphQLResponse = await api.gql(SEARCH, { q: 'HARBOR', first: 2, after });
      seen.push(...res.data.searchMovies.edges.map((e: { node: { title: string } }) => e.node.title));
      after = res.data.searchMovies.pageInfo.hasNextPage ? res.data.searchMovies.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);

    const drama = await api.gql(SEARCH, { q: 'harbor', genres: ['drama'] });
    expect(drama.data.searchMovies.edges.map((e: { node: { title: string } }) => e.node.title)).toEqual(['Harbor Lights']);
  });

  it('treats LIKE wildcards in the query literally', async () => {
    const res = await api.gql(SEARCH, { q: '100%' });
    expect(res.data.searchMovies.edges.map((e: { node: { title: string } }) => e.node.title)).toEqual(['100% Harbor']);
    const none = await api.gql(SEARCH, { q: '_' });
    expect(none.data.searchMovies.totalCount).toBe(0);
  });

  it('rejects an empty query with BAD_USER_INPUT', async () => {
    const res = await api.gql(SEARCH, { q: '   ' });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
