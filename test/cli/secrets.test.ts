import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { moviecFromSource } from '../support/reliability.js';

/**
 * No secret reaches a log line, an error message or the database, even when a hostile or broken
 * peer echoes it back: the real `moviec` process, with debug logging, on failing imports and an
 * unreachable database.
 */
const TMDB_TOKEN = 'tmdb-token-Zq8v1xK3p0';
const FILE_PASSWORD = 'file-pass-Wm4r7Yt2';
const DB_PASSWORD = 'db-pass-Hc9s5Lb6';
const ADMIN_TOKEN = 'admin-token-Pe3n8Gq1Vd';
const SECRETS = [TMDB_TOKEN, FILE_PASSWORD, DB_PASSWORD, ADMIN_TOKEN];

const moviec = (env: Record<string, string>, ...args: string[]) => moviecFromSource({ ADMIN_TOKEN, ...env }, ...args);

describe('secrets stay out of logs, errors and the database', () => {
  let db: TestDatabase;
  let peer: Server;
  let origin: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    // A peer that answers every request with 401 and echoes the credentials it was sent.
    peer = createServer((req, res) => {
      const echoed = JSON.stringify({ status_message: `bad credentials: ${req.headers.authorization ?? ''} ${req.url ?? ''}` });
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': `Bearer ${req.headers.authorization ?? ''}` }).end(echoed);
    });
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => peer.close(resolve));
    await db.drop();
  });

  const expectNoSecrets = (text: string) => {
    for (const secret of SECRETS) expect(text).not.toContain(secret);
  };

  it('a TMDB run refused with 401 fails clearly without the token anywhere', async () => {
    const { code, output } = await moviec({ DATABASE_URL: db.url, TMDB_API_TOKEN: TMDB_TOKEN, TMDB_BASE_URL: origin }, 'import', 'tmdb');
    expect(code).toBe(1);
    expect(output).toMatch(/FAILED/);
    expectNoSecrets(output);
    const { rows } = await db.pool.query<{ status: string; error: string }>(`SELECT status, error FROM import_runs WHERE provider_key = 'tmdb'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe('FAILED');
    expect(rows[0]!.error).toMatch(/401|token/i);
    expectNoSecrets(rows[0]!.error);
  });

  it('a file URL with a password in it fails clearly without the password anywhere', async () => {
    const url = `http://reader:${FILE_PASSWORD}@${origin.replace('http://', '')}/title.basics.tsv`;
    const { code, output } = await moviec({ DATABASE_URL: db.url }, 'import', 'imdb', '--basics', url, '--ratings', url);
    expect(code).toBe(1);
    expect(output).toMatch(/FAILED/);
    expectNoSecrets(output);
    const { rows } = await db.pool.query<{ error: string }>(`SELECT error FROM import_runs WHERE provider_key = 'imdb'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.error).toMatch(/401/);
    expectNoSecrets(rows[0]!.error);
  });

  it('an unreachable database is named without its password', async () => {
    const { code, output } = await moviec({ DATABASE_URL: `postgresql://moviec:${DB_PASSWORD}@127.0.0.1:1/moviec` }, 'migrate');
    expect(code).toBe(1);
    expect(output).toMatch(/127\.0\.0\.1:1|ECONNREFUSED|connect/i);
    expectNoSecrets(output);
  });
});
