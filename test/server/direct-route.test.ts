import { insertMovie, metricValue, startTestApi, type TestApi } from '../support/graphql-api.js';

/**
 * `POST /graphql` is answered without Express's router (src/server/direct-route.ts); `POST
 * /graphql/` and `POST /graphql?…` still go through it. Both must answer alike: the same status,
 * body and headers for a good query, a bad one, a malformed or oversized body, a refused partner
 * key, and a CORS request; and every request gets its request id and is counted under /graphql.
 */
describe('POST /graphql without the router answers as through it', () => {
  let api: TestApi;
  let movieId: string;

  beforeAll(async () => {
    api = await startTestApi({ corsOrigins: ['https://partner.example'], bodyLimit: '2kb', anonymousAccess: { mode: 'off' }, adminToken: 'admin-token-0123456789' });
    movieId = await insertMovie(api.db.pool, { title: 'Harbor', year: 1999 });
  });
  afterAll(() => api.close());

  const ADMIN = { authorization: 'Bearer admin-token-0123456789' };
  const send = async (path: string, body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${api.origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const headersOf = Object.fromEntries([...res.headers].filter(([name]) => !['date', 'x-request-id', 'connection', 'keep-alive'].includes(name)));
    return { status: res.status, body: await res.text(), headers: headersOf, requestId: res.headers.get('x-request-id') };
  };
  const both = async (body: string, headers: Record<string, string> = {}) => {
    const direct = await send('/graphql', body, headers);
    const routed = await send('/graphql/', body, headers);
    const query = await send('/graphql?x=1', body, headers);
    expect(direct).toEqual({ ...routed, requestId: direct.requestId });
    expect(direct).toEqual({ ...query, requestId: direct.requestId });
    expect(direct.requestId).toMatch(/^[0-9a-f-]{36}$/);
    return direct;
  };
  const query = (text: string, variables?: Record<string, unknown>) => JSON.stringify({ query: text, variables });

  it('a good query, twice (computed, then from the response cache)', async () => {
    const body = query('query ($id: ID!) { movie(id: $id) { title year } }', { id: movieId });
    const first = await both(body, ADMIN);
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toEqual({ data: { movie: { title: 'Harbor', year: 1999 } } });
    expect((await both(body, ADMIN)).body).toBe(first.body);
  });

  it('a query with an error, a malformed body, an oversized body, a body that is not JSON', async () => {
    expect((await both(query('{ movie(id: 1) { nope } }'), ADMIN)).status).toBe(400);
    const malformed = await both('{"query": ', ADMIN);
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body)).toEqual({ error: 'malformed JSON body' });
    const oversized = await both(query(`{ movies { totalCount } } # ${'x'.repeat(4000)}`), ADMIN);
    expect(oversized.status).toBe(413);
    expect((await both('"a string"', ADMIN)).status).toBe(400);
  });

  it('partner access: no key refused (ANONYMOUS_ACCESS=off), an unknown key refused, with the GraphQL error shape', async () => {
    const none = await both(query('{ movies { totalCount } }'));
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    expect((await both(query('{ movies { totalCount } }'), { 'x-api-key': 'mck_unknown_0123456789abcdef' })).status).toBe(401);
  });

  it('CORS headers for a partner origin', async () => {
    const res = await both(query('{ movies { totalCount } }'), { ...ADMIN, origin: 'https://partner.example' });
    expect(res.headers['access-control-allow-origin']).toBe('https://partner.example');
  });

  it('counts the requests under the /graphql route', async () => {
    const before = await metricValue(api.origin, 'moviec_http_request_duration_seconds_count', { method: 'POST', route: '/graphql', status: '200' });
    await send('/graphql', query('{ movies { totalCount } }'), ADMIN);
    expect(await metricValue(api.origin, 'moviec_http_request_duration_seconds_count', { method: 'POST', route: '/graphql', status: '200' })).toBe(before + 1);
  });
});
