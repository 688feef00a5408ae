import { createPool } from '../../src/db/pool.js';
import { createApp, type RunningServer } from '../../src/server/app.js';
import { postGraphQL, startTestApi, type TestApi } from '../support/graphql-api.js';

describe('HTTP app', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('answers /healthz and /readyz', async () => {
    const health = await fetch(`${api.origin}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${api.origin}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok' });
  });

  it('reports client errors without stack traces', async () => {
    const res = await api.gql(`{ movies(first: 500) { totalCount } }`);
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'first' });
    const invalid = await api.gql(`{ movies { nope } }`);
    expect(invalid.status).toBe(400);
    expect(invalid.errors?.[0]?.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
  });

  it('answers a malformed body and an unknown path with JSON errors', async () => {
    const malformed = await fetch(api.server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ error: 'malformed JSON body' });
    const missing = await fetch(`${api.origin}/nowhere`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not found' });
  });
});

describe('HTTP app without a database', () => {
  // Nothing listens on port 1, so every statement fails at once.
  const pool = createPool('postgresql://moviec:moviec@127.0.0.1:1/moviec', 1);
  const servers: RunningServer[] = [];

  async function start(debug: boolean) {
    const server = await (await createApp({ pool, debug })).start(0, '127.0.0.1');
    servers.push(server);
    return server;
  }

  afterAll(async () => {
    for (const server of servers) await server.close();
    await pool.end();
  });

  it('is alive but not ready', async () => {
    const { url } = await start(false);
    const origin = new URL(url).origin;
    expect((await fetch(`${origin}/healthz`)).status).toBe(200);
    const ready = await fetch(`${origin}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'unavailable', reason: expect.stringMatching(/^database unreachable: /) });
  });

  it('masks internal errors unless in development', async () => {
    const production = await postGraphQL((await start(false)).url, `{ genres { name } }`);
    expect(production.errors).toEqual([
      { message: 'Internal server error', locations: [{ line: 1, column: 3 }], path: ['genres'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
    ]);
    const development = await postGraphQL((await start(true)).url, `{ genres { name } }`);
    expect(development.errors?.[0]?.message).not.toBe('Internal server error');
    expect(development.errors?.[0]?.extensions?.stacktrace).toEqual(expect.any(Array));
  });
});
