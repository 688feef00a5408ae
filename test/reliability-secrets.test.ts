/**
 * No secrets in outputs (issue 13 point 6). Secrets are planted everywhere they could come from —
 * the Redis password in REDIS_URL (a real redis-server that requires another one, so ioredis
 * fails AUTH with the password in `command.args`), the TMDB token (echoed back by a TMDB stand-in
 * in its error bodies, with and without "Bearer"), a signed URL (`?X-Amz-Signature=…&access_token=…`)
 * and a `user:pass@` URL — and every output the test can reach is searched for them: the real
 * `moviec` processes' output with debug logs, `moviec status` and `moviec status --run`, the stored
 * import_errors and import_runs.error, and anonymous (and admin) GraphQL answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '../src/logger.js';
import { rememberSecrets, storableText } from '../src/logging/secrets.js';
import { freePort } from './support/free-port.js';
import { startTestApi, type TestApi } from './support/graphql-api.js';
import { moviecFromSource } from './support/reliability.js';

const REDIS_PASSWORD = 'redis-pw-Tq7Lm2Xc9';
const TMDB_TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJwbGFudGVkLXRtZGItdG9rZW4ifQ.Zk3bQ9vR1sW8yT2uV5xA';
const SIGNATURE = 'sig-Hv4Rp8Kd1Nw6';
const ACCESS_TOKEN = 'access-Jc3Yf7Ub2Qe9';
const URL_PASSWORD = 'url-pass-Ds5Gk8Mw3';
const ADMIN_TOKEN = 'admin-token-Lr6Bv1Np4Xz8';
const SECRETS = [REDIS_PASSWORD, TMDB_TOKEN, SIGNATURE, ACCESS_TOKEN, URL_PASSWORD, ADMIN_TOKEN];

const expectNoSecrets = (where: string, text: string) => {
  for (const secret of SECRETS) {
    if (text.includes(secret)) throw new Error(`${where} contains the planted secret ${secret}:\n${text}`);
  }
};

const moviec = (env: Record<string, string>, ...args: string[]) => moviecFromSource({ ADMIN_TOKEN, ...env }, ...args);

let api: TestApi;
let peer: Server;
let origin: string;
let redis: ChildProcess;
let redisUrl: string;

beforeAll(async () => {
  api = await startTestApi({ adminToken: ADMIN_TOKEN });
  // A TMDB and file host stand-in that echoes whatever credentials it was sent, in every way a peer might.
  peer = createServer((req, res) => {
    const sent = `${req.headers.authorization ?? ''} ${req.url ?? ''}`;
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (req.url?.startsWith('/3/movie/')) {
      res.writeHead(500, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status_message: `internal error for ${sent}`, token, echo: `raw ${token} raw` }));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${sent} token=${token}`);
  });
  await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;
  // A redis-server that requires a different password: ioredis's AUTH fails with the planted one in command.args.
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', 'the-right-one'], {
    stdio: 'ignore',
  });
  redisUrl = `redis://:${REDIS_PASSWORD}@127.0.0.1:${port}`;
  await new Promise((resolve) => setTimeout(resolve, 300));
});
afterAll(async () => {
  redis.kill('SIGKILL');
  await new Promise((resolve) => peer.close(resolve));
  await api.close();
});

describe('planted secrets reach no output', () => {
  const runs: string[] = [];
  let outputs = '';

  it('moviec import with debug logs: a signed URL with credentials (IMDb) and a TMDB peer echoing the token', async () => {
    const env = { DATABASE_URL: api.db.url, REDIS_URL: redisUrl, TMDB_API_TOKEN: TMDB_TOKEN, TMDB_BASE_URL: origin };
    const signed = `http://reader:${URL_PASSWORD}@${origin.slice('http://'.length)}/title.basics.tsv.gz?X-Amz-Signature=${SIGNATURE}&access_token=${ACCESS_TOKEN}`;
    const imdb = await moviec(env, 'import', 'imdb', '--basics', signed, '--ratings', signed);
    expect(imdb.code).toBe(1);
    expect(imdb.output).toMatch(/FAILED/);
    expect(imdb.output).toMatch(/WRONGPASS|invalid username-password/); // ioredis failed AUTH, and that was logged (at debug)
    const tmdb = await moviec(env, 'import', 'tmdb', '--ids', '603');
    expect(tmdb.output).toMatch(/PARTIAL|FAILED/);
    outputs = imdb.output + tmdb.output;
    expectNoSecrets('the moviec import output (debug logs)', outputs);
    const { rows } = await api.db.pool.query<{ id: string }>('SELECT id FROM import_runs ORDER BY id');
    runs.push(...rows.map((r) => r.id));
    expect(runs).toHaveLength(2);
  });

  it('stored: import_runs.error and every column of import_errors (the TMDB body excerpt included)', async () => {
    const { rows: stored } = await api.db.pool.query(`SELECT id, status, error FROM import_runs ORDER BY id`);
    expect(stored[0]).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/Cannot download http:\/\/\*\*\*@127\.0\.0\.1:\d+\/title\.basics\.tsv\.gz\?\[redacted\]/) });
    const { rows: errors } = await api.db.pool.query(`SELECT * FROM import_errors ORDER BY id`);
    expect(errors).toContainEqual(expect.objectContaining({ reference: '603', excerpt: expect.stringContaining('[redacted]') }));
    expectNoSecrets('import_runs', JSON.stringify(stored));
    expectNoSecrets('import_errors', JSON.stringify(errors));
  });

  it('moviec status and moviec status --run print none', async () => {
    const status = await moviec({ DATABASE_URL: api.db.url, REDIS_URL: redisUrl }, 'status');
    const perRun = await Promise.all(runs.map((id) => moviec({ DATABASE_URL: api.db.url, REDIS_URL: redisUrl }, 'status', '--run', id)));
    expect(perRun.map((r) => r.code)).toEqual([0, 0]);
    expect(perRun[1]!.output).toMatch(/603/);
    expectNoSecrets('moviec status', status.output);
    for (const run of perRun) expectNoSecrets('moviec status --run', run.output);
  });

  it('GraphQL: anonymous requests see no run error; admins see the stored, redacted one', async () => {
    const query = `{ importRuns { id status error } providers { key lastRun { id status error } } }`;
    const anonymous = await api.gql(query);
    expect(anonymous.errors).toBeUndefined();
    expect(anonymous.data.importRuns.map((r: { error: string | null }) => r.error)).toEqual([null, null]);
    expectNoSecrets('anonymous GraphQL', JSON.stringify(anonymous));
    const admin = await api.gql(query, {}, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(admin.data.importRuns.some((r: { error: string | null }) => r.error?.includes('Cannot download'))).toBe(true);
    expectNoSecrets('admin GraphQL', JSON.stringify(admin.data));
  });
});

describe('the redaction rules themselves', () => {
  it('logs: an ioredis error carries no command arguments, a known secret no value, at any level', () => {
    let written = '';
    const destination = new Writable({ write(chunk: Buffer, _e, done) { written += chunk.toString(); done(); } });
    const logger = createLogger('trace', { format: 'json', destination: destination });
    rememberSecrets(['planted-known-secret-123']);
    const error = Object.assign(new Error('WRONGPASS invalid username-password pair'), { command: { name: 'auth', args: ['redis-arg-Secret9'] } });
    logger.debug({ err: error }, 'Redis connection error');
    logger.trace({ detail: 'token planted-known-secret-123', url: 'https://h/x?access_token=abc123def&page=2' }, 'a trace line');
    expect(written).toMatch(/WRONGPASS/);
    expect(written).not.toContain('redis-arg-Secret9');
    expect(written).not.toContain('planted-known-secret-123');
    expect(written).not.toContain('abc123def');
  });

  it('storable text: URL credentials and query strings, bearer tokens, JWTs, JSON and form secrets; NUL and controls escaped', () => {
    expect(storableText('GET https://u:p4ss@host.example/a.csv?X-Amz-Signature=abc&x=1: 403')).toBe('GET https://***@host.example/a.csv?[redacted]: 403');
    expect(storableText('Authorization: Bearer abcdef0123456789')).toBe('Authorization: Bearer [redacted]');
    expect(storableText('{"token":"t0k3n-value","api_key":"k3y"}')).toBe('{"token":"[redacted]","api_key":"[redacted]"}');
    expect(storableText('password=hunter22&user=me')).toBe('password=[redacted]&user=me');
    expect(storableText('head\u0000er\u001b[31m')).toBe('head\\u0000er\\u001b[31m');
    // Ordinary text is left alone.
    expect(storableText('The Secret: Dare to Dream\t2020')).toBe('The Secret: Dare to Dream\t2020');
  });
});
