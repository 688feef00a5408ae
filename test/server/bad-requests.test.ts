import { insertMovie, startTestApi, type TestApi } from '../support/graphql-api.js';

/**
 * Issue 13 point 9: every malformed argument, cursor, variable or path is the client's mistake —
 * BAD_USER_INPUT / HTTP 400 (or a plain 404), never a 500, and no answer names a filesystem path.
 */

const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const ID = '00000000-0000-4000-8000-000000000000';

/** `[[[…"x"…]]]` nested `depth` times, as JSON text (JSON.stringify itself would recurse). */
const deepArray = (depth: number) => `${'['.repeat(depth)}"x"${']'.repeat(depth)}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}"x"${'}'.repeat(depth)}`;

describe('bad requests are 400s', () => {
  let api: TestApi;
  let closed: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
    closed = await startTestApi({ introspection: false, playground: false });
    await insertMovie(api.db.pool, { title: 'Harbor', year: 1999 });
  });
  afterAll(async () => {
    await api.close();
    await closed.close();
  });

  const graphqlCases: [string, string, Record<string, unknown> | undefined][] = [
    ['YEAR_DESC cursor with a key beyond int4', `{ movies(orderBy: YEAR_DESC, after: "${cursor(['YEAR_DESC', [3_000_000_000], ID])}") { totalCount } }`, undefined],
    ['VOTES_DESC cursor with a fractional key', `{ movies(orderBy: VOTES_DESC, after: "${cursor(['VOTES_DESC', [1.5], ID])}") { totalCount } }`, undefined],
    ['YEAR_DESC cursor with a negative huge key', `{ movies(orderBy: YEAR_DESC, after: "${cursor(['YEAR_DESC', [-3e12], ID])}") { edges { cursor } } }`, undefined],
    ['SCORE_DESC cursor with a string key', `{ movies(after: "${cursor(['SCORE_DESC', ['x'], ID])}") { totalCount } }`, undefined],
    ['a cursor of another ordering', `{ movies(orderBy: TITLE_ASC, after: "${cursor(['YEAR_DESC', [1999], ID])}") { totalCount } }`, undefined],
    ['a cursor that is not base64 JSON', `{ movies(after: "%%%") { totalCount } }`, undefined],
    ['a search cursor with too few keys', `{ searchMovies(query: "harbor", after: "${cursor(['RELEVANCE', [1], ID])}") { totalCount } }`, undefined],
    ['an Int variable beyond 32 bits', `query ($y: Int) { movies(filter: { yearFrom: $y }) { totalCount } }`, { y: 2_147_483_648 }],
    ['a NUL in a variable nested in objects', `query ($f: MovieFilter) { movies(filter: $f) { totalCount } }`, { f: { genres: ['a\u0000'] } }],
  ];

  it.each(graphqlCases)('GraphQL: %s → 400 BAD_USER_INPUT', async (_, query, variables) => {
    const res = await api.gql(query, variables);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.status).toBe(400);
    expect(JSON.stringify(res)).not.toMatch(/\/work\/|node_modules|\.ts:\d+/);
  });

  it.each([
    ['nested 20,000 arrays deep', deepArray(20_000)],
    ['nested 15,000 objects deep', deepObject(15_000)],
  ])('GraphQL: a variable %s → 400 BAD_USER_INPUT (no stack overflow)', async (_, json) => {
    const body = `{"query":"query ($q: String!) { searchMovies(query: $q) { totalCount } }","variables":{"q":"harbor","pad":${json}}}`;
    const res = await fetch(api.server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const answer = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(res.status).toBe(400);
    expect(answer.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    // A deep value of the variable itself is refused the same way.
    const inside = `{"query":"query ($q: String!) { searchMovies(query: $q) { totalCount } }","variables":{"q":${json}}}`;
    const res2 = await fetch(api.server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: inside });
    expect(res2.status).toBe(400);
    expect(((await res2.json()) as typeof answer).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('GraphQL: an Int literal beyond 32 bits → 400, refused by validation before anything runs', async () => {
    const res = await api.gql(`{ movies(filter: { yearFrom: 2147483648 }) { totalCount } }`);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0]?.message).toMatch(/Int cannot represent non 32-bit signed integer value/);
  });

  it('GET /static/ with an escaped ../ → 403 naming no filesystem path', async () => {
    const res = await fetch(`${api.origin}/static/..%2f..%2fpackage.json`);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'forbidden' });
  });

  it.each([
    ['yearFrom beyond int4', '/movies/search?query=harbor&yearFrom=2147483648'],
    ['yearTo below int4', '/movies/search?query=harbor&yearTo=-2147483649'],
    ['minVotes beyond int4', '/movies/search?query=harbor&minVotes=99999999999'],
    ['yearFrom in exponent notation', '/movies/search?query=harbor&yearFrom=1e400'],
    ['a cursor of another ordering', `/movies/search?query=harbor&after=${cursor(['YEAR_DESC', [3_000_000_000], ID])}`],
    ['a malformed cursor', '/movies/search?query=harbor&after=garbage'],
    ['a repeated parameter', '/movies/search?query=harbor&query=x'],
    ['a bracketed parameter', '/movies/search?query[a]=harbor'],
    ['a suggest limit beyond int4', '/movies/suggest?prefix=har&limit=4294967296'],
  ])('REST: %s → 400 with an error message', async (_, path) => {
    const res = await fetch(`${api.origin}${path}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string };
    expect(body.error).toEqual(expect.any(String));
    expect(body.error).not.toMatch(/\/work\/|node_modules/);
  });

  it.each([
    ['/playground/constructor'],
    ['/playground/__proto__'],
    ['/playground/toString'],
    ['/static/no-such-file.js'],
    ['/no/such/route'],
  ])('GET %s → 404 naming no filesystem path', async (path) => {
    const res = await fetch(`${api.origin}${path}`);
    expect(res.status).toBe(404);
    const text = await res.text();
    expect(text).not.toMatch(/\/work\/|node_modules|ENOENT|\bstat\b/);
    expect(JSON.parse(text)).toEqual({ error: 'not found' });
  });

  it('suggests field names while introspection is on, never when it is off', async () => {
    const query = `{ movis(first: 1) { totalCount } }`;
    const open = await api.gql(query);
    expect(open.status).toBe(400);
    expect(open.errors?.[0]?.message).toMatch(/Did you mean .*"movies"/);
    const res = await closed.gql(query);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0]?.message).not.toMatch(/Did you mean/);
    const arg = await closed.gql(`{ movies(frist: 1) { totalCount } }`);
    expect(arg.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });
});
