import { countStatements, ensureProviders, insertMovie, startTestApi, type GraphQLResponse, type TestApi } from '../support/graphql-api.js';

const PAGE_OF_MOVIES = `query ($after: String) {
  movies(first: 50, after: $after) {
    totalCount
    edges { node {
      id title
      score { value confidence providerCount votes }
      ratings { provider { key name lastRun { id } } kind normalized votes }
      titles { provider { key } title score }
      genres { name confidence }
      externalIds { provider { key } externalId }
    } }
    pageInfo { hasNextPage endCursor }
  }
}`;

describe('GraphQL: SQL statements per request', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
    await ensureProviders(api.db.pool, ['tmdb']);
    for (let i = 0; i < 60; i++) {
      await insertMovie(api.db.pool, {
        title: `Movie ${i}`,
        year: 1950 + i,
        score: { value: i, confidence: 0.5, votes: 100 * i, providerCount: 2 },
        ratings: [
          { provider: 'imdb', kind: 'users', rawValue: 7, rawScale: '1-10', normalized: 66.7, votes: 100 * i },
          { provider: 'tmdb', kind: 'users', rawValue: 7, rawScale: '0-10', normalized: 70, votes: 10 },
        ],
        titles: [{ provider: 'imdb', title: `Movie ${i}`, score: 1 }, { provider: 'tmdb', title: `The Movie ${i}`, score: 0.5 }],
        genres: [{ name: 'Drama', confidence: 1 }, { name: 'Comedy', confidence: 0.5 }],
        externalIds: [{ provider: 'imdb', externalId: `tt${String(i).padStart(7, '0')}` }, { provider: 'tmdb', externalId: String(1000 + i) }],
      });
    }
  });
  afterAll(() => api.close());

  it('loads a page of 50 movies with all their fan-out fields in a constant number of statements', async () => {
    let response: GraphQLResponse | undefined;
    const statements = await countStatements(async () => {
      response = await api.gql(PAGE_OF_MOVIES);
    });
    expect(response!.errors).toBeUndefined();
    const edges = response!.data.movies.edges;
    expect(edges).toHaveLength(50);
    for (const { node } of edges) {
      expect(node.ratings).toHaveLength(2);
      expect(node.titles).toHaveLength(2);
      expect(node.genres).toHaveLength(2);
      expect(node.externalIds).toHaveLength(2);
    }
    // One each: page, count, ratings, titles, genres, externalIds, providers, lastRun.
    expect(statements).toBeGreaterThan(0);
    expect(statements).toBeLessThanOrEqual(8);
  });

  it('needs no more statements for the next page, however many movies it holds', async () => {
    const first = await api.gql(PAGE_OF_MOVIES);
    let second: GraphQLResponse | undefined;
    const statements = await countStatements(async () => {
      second = await api.gql(PAGE_OF_MOVIES, { after: first.data.movies.pageInfo.endCursor });
    });
    expect(second!.data.movies.edges).toHaveLength(10);
    expect(statements).toBeGreaterThan(0);
    expect(statements).toBeLessThanOrEqual(8);
  });
});
