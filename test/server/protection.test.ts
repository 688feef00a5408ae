import { loadConfig } from '../../src/config.js';
import { DEFAULT_LIMITS } from '../../src/server/app.js';
import { insertMovie, startTestApi, type GraphQLResponse, type TestApi } from '../support/graphql-api.js';
import { ConfigError } from '../../src/errors.js';

/** `movie { ratings { provider { lastRun { provider { lastRun … } } } } }`: as deep as asked. */
function nested(depth: number): string {
  // movie(1) ratings(2) provider(3), then lastRun/provider pairs, ending on a scalar.
  let inner = 'key';
  let levels = 3;
  while (levels < depth - 1) {
    inner = levels % 2 === 1 ? `lastRun { id provider { ${inner} } }` : inner;
    levels += 2;
  }
  return `{ movie(id: "00000000-0000-4000-8000-000000000000") { ratings { provider { ${inner} } } } }`;
}

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

function expectCode(res: GraphQLResponse, code: string, message: RegExp, stack = false) {
  expect(res.errors).toHaveLength(1);
  expect(res.errors![0]!.extensions?.code).toBe(code);
  expect(res.errors![0]!.message).toMatch(message);
  if (!stack) expect(res.errors![0]!.extensions?.stacktrace).toBeUndefined();
}

describe('protection, with the default limits', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
    await insertMovie(api.db.pool, { title: 'Harbor' });
  });
  afterAll(() => api.close());

  it(`refuses a query nested deeper than ${DEFAULT_LIMITS.maxDepth} levels before running it`, async () => {
    const ok = await api.gql(nested(DEFAULT_LIMITS.maxDepth));
    expect(ok.errors).toBeUndefined();
    const res = await api.gql(nested(DEFAULT_LIMITS.maxDepth + 2));
    expect(res.status).toBe(400);
    expectCode(res, 'QUERY_TOO_COMPLEX', new RegExp(`nested \\d+ levels deep; the maximum is ${DEFAULT_LIMITS.maxDepth}`));
  });

  it('refuses a query whose cost (page sizes times fields) is too high', async () => {
    const fields = 'id title score { value votes } ratings { kind normalized provider { key name } } titles { title score } genres { name confidence }';
    const res = await api.gql(`{
      a: movies(first: 100) { edges { node { ${fields} } } }
      b: movies(first: 100) { edges { node { ${fields} } } }
      c: searchMovies(query: "x", first: 100) { edges { node { ${fields} } } }
    }`);
    expect(res.status).toBe(400);
    expectCode(res, 'QUERY_TOO_COMPLEX', /Query complexity is \d+; the maximum is 5000\. Ask for smaller pages/);
    expect(res.errors![0]!.extensions).toMatchObject({ maxComplexity: 5000, complexity: expect.any(Number) });
    // Aliases cannot sneak past the depth check either, nor fragments.
    const viaFragment = await api.gql(`
      query { movie(id: "00000000-0000-4000-8000-000000000000") { ...M } }
      fragment M on Movie { ratings { provider { lastRun { provider { lastRun { provider { lastRun { provider { lastRun { provider { lastRun { id } } } } } } } } } } } }
    `);
    expectCode(viaFragment, 'QUERY_TOO_COMPLEX', /nested/);
  });

  it.each([
    ['movies', `{ movies(first: 101) { totalCount } }`, 'first'],
    ['searchMovies', `{ searchMovies(query: "harbor", first: 101) { totalCount } }`, 'first'],
    ['importRuns', `{ importRuns(first: 101) { id } }`, 'first'],
  ])('caps first at 100 in %s, saying so', async (_, query, argumentName) => {
    const res = await api.gql(query);
    expectCode(res, 'BAD_USER_INPUT', /first must be between 1 and 100, got 101/);
    expect(res.errors![0]!.extensions?.argumentName).toBe(argumentName);
  });

  it.each([
    ['a negative minVotes', `{ movies(filter: { minVotes: -1 }) { totalCount } }`, /filter\.minVotes must not be negative, got -1/],
    ['a score above 100', `{ movies(filter: { minScore: 101 }) { totalCount } }`, /filter\.minScore is a c-rating between 0 and 100, got 101/],
    ['an empty search', `{ searchMovies(query: "  ") { totalCount } }`, /query must be 1 to 200 characters/],
    ['an oversized search', `{ searchMovies(query: "${'a'.repeat(201)}") { totalCount } }`, /query must be 1 to 200 characters/],
    ['a malformed cursor', `{ movies(after: "garbage") { totalCount } }`, /Malformed cursor: pass an endCursor/],
  ])('answers %s with BAD_USER_INPUT and a helpful message', async (_, query, message) => {
    expectCode(await api.gql(query), 'BAD_USER_INPUT', message);
  });

  it('answers variables of the wrong type with BAD_USER_INPUT naming the variable', async () => {
    const res = await api.gql(`query ($first: Int) { movies(first: $first) { totalCount } }`, { first: 'ten' });
    expect(res.status).toBe(400);
    expectCode(res, 'BAD_USER_INPUT', /Variable "\$first" got invalid value "ten"/);
  });

  it('shows no stack trace outside development, also for internal errors', async () => {
    const res = await api.gql(`{ movies(first: 0) { totalCount } }`);
    expect(JSON.stringify(res)).not.toMatch(/stacktrace|\.ts:\d+/);
  });

  it('refuses a body above the limit with 413 and a JSON message', async () => {
    const big = JSON.stringify({ query: `{ genres { name } }`, variables: { pad: 'x'.repeat(150_000) } });
    const res = await post(api.server.url, big);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: 'request body too large: at most 100kb' });
  });

  it('sends no CORS headers unless origins are configured', async () => {
    const res = await fetch(api.server.url, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses batched requests', async () => {
    const res = await post(api.server.url, JSON.stringify([{ query: '{ genres { name } }' }, { query: '{ genres { name } }' }]));
    expect(res.status).toBe(400);
  });
});

describe('protection, configured', () => {
  let api: TestApi;
  let open: TestApi;

  beforeAll(async () => {
    api = await startTestApi({
      limits: { maxDepth: 4, maxComplexity: 50 },
      bodyLimit: '1kb',
      corsOrigins: ['https://app.example.com', 'https://partner.example.org'],
      debug: true,
    });
    open = await startTestApi({ corsOrigins: ['*'] });
  });
  afterAll(async () => {
    await api.close();
    await open.close();
  });

  it('applies the configured depth, complexity and body limits', async () => {
    expectCode(await api.gql(nested(6)), 'QUERY_TOO_COMPLEX', /the maximum is 4/, true);
    expectCode(await api.gql(`{ movies(first: 30) { edges { node { id title } } } }`), 'QUERY_TOO_COMPLEX', /the maximum is 50/, true);
    expect((await api.gql(`{ movies(first: 5) { edges { node { id title } } } }`)).errors).toBeUndefined();
    const res = await post(api.server.url, JSON.stringify({ query: `{ genres { name } }`, variables: { pad: 'x'.repeat(2000) } }));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'request body too large: at most 1kb' });
  });

  it('allows the configured origins only, preflight and actual request', async () => {
    const preflight = await fetch(api.server.url, {
      method: 'OPTIONS',
      headers: { origin: 'https://partner.example.org', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://partner.example.org');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET,POST');
    const actual = await post(api.server.url, JSON.stringify({ query: '{ genres { name } }' }), { origin: 'https://app.example.com' });
    expect(actual.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const other = await post(api.server.url, JSON.stringify({ query: '{ genres { name } }' }), { origin: 'https://evil.example' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const rest = await fetch(`${api.origin}/movies/search?query=x`, { headers: { origin: 'https://app.example.com' } });
    expect(rest.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  });

  it("allows any origin with '*'", async () => {
    const res = await post(open.server.url, JSON.stringify({ query: '{ genres { name } }' }), { origin: 'https://anyone.example' });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('shows stack traces in development', async () => {
    // (totalCount costs 100: over this API's limit of 50, so the page alone.)
    const res = await api.gql(`{ movies(first: 0) { edges { cursor } } }`);
    expect(res.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors![0]!.extensions?.stacktrace).toEqual(expect.any(Array));
  });
});

describe('protection settings from the environment', () => {
  it('reads the limits, body size, CORS origins and switches, and names bad values', () => {
    const config = loadConfig({
      MAX_QUERY_DEPTH: '8',
      MAX_QUERY_COMPLEXITY: '2000',
      BODY_LIMIT: '1mb',
      CORS_ORIGINS: 'https://a.example, https://b.example',
      GRAPHQL_INTROSPECTION: 'false',
      GRAPHQL_PLAYGROUND: 'off',
    });
    expect(config).toMatchObject({
      MAX_QUERY_DEPTH: 8,
      MAX_QUERY_COMPLEXITY: 2000,
      BODY_LIMIT: '1mb',
      CORS_ORIGINS: ['https://a.example', 'https://b.example'],
      GRAPHQL_INTROSPECTION: false,
      GRAPHQL_PLAYGROUND: false,
    });
    expect(loadConfig({})).toMatchObject({ MAX_QUERY_DEPTH: 12, MAX_QUERY_COMPLEXITY: 5000, BODY_LIMIT: '100kb' });
    expect(loadConfig({}).CORS_ORIGINS).toBeUndefined();
    expect(() => loadConfig({ BODY_LIMIT: 'huge', CORS_ORIGINS: 'ftp://x', MAX_QUERY_DEPTH: '1' })).toThrow(ConfigError);
    try {
      loadConfig({ BODY_LIMIT: 'huge', CORS_ORIGINS: 'ftp://x' });
    } catch (error) {
      expect((error as Error).message).toMatch(/BODY_LIMIT: must be a size such as 100kb or 1mb/);
      expect((error as Error).message).toMatch(/CORS_ORIGINS/);
    }
  });
});
