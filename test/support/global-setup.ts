import { mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { EmbeddedDatabase } from '../../src/db/embedded.js';
import './resolve-ts.cjs';

export const TEMPLATE_DB = 'moviec_test_template';

/**
 * Starts one throwaway PostgreSQL for the whole run (unless TEST_DATABASE_URL or DATABASE_URL
 * names a server), migrates a template database once, and hands its address to the test files,
 * each of which clones the template into a database of its own (test/support/db.ts).
 */
export default async function globalSetup(): Promise<void> {
  const { startEmbeddedPostgres } = await import('../../src/db/embedded.js');
  const { prepareDatabase } = await import('../../src/db/setup.js');
  const { createPool } = await import('../../src/db/pool.js');
  // The test files' own files (imdb-files.ts tempDir), deleted by the global teardown; the test
  // workers are started after this, so they inherit the variable.
  const files = await mkdtemp(path.join(os.tmpdir(), 'moviec-test-files-'));
  process.env.MOVIEC_TEST_FILES = files;
  (globalThis as { __moviecTestFiles?: string }).__moviecTestFiles = files;
  let adminUrl: string | undefined = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  let embedded: EmbeddedDatabase | undefined;
  if (!adminUrl) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'moviec-test-pg-'));
    (globalThis as { __moviecTestDir?: string }).__moviecTestDir = dataDir;
    embedded = await startEmbeddedPostgres({
      dataDir: path.join(dataDir, 'data'),
      port: await freePort(),
      persistent: false,
      database: 'postgres',
    });
    adminUrl = embedded.url;
  }
  (globalThis as { __moviecEmbedded?: EmbeddedDatabase }).__moviecEmbedded = embedded;

  if (!adminUrl) throw new Error('no database server for the tests');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB}`);
  await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  await admin.end();

  const url = new URL(adminUrl);
  url.pathname = `/${TEMPLATE_DB}`;
  const pool = createPool(url.toString(), 2);
  await prepareDatabase(pool);
  await pool.end();

  process.env.MOVIEC_TEST_ADMIN_URL = adminUrl;
  process.env.MOVIEC_TEST_TEMPLATE = TEMPLATE_DB;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
