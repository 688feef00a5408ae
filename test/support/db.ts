import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPool } from '../../src/db/pool.js';

export interface TestDatabase {
  url: string;
  pool: pg.Pool;
  /** Closes connections and drops the database. */
  drop(): Promise<void>;
}

/** A database of its own for one test file: a clone of the migrated template, so files run in parallel. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.MOVIEC_TEST_ADMIN_URL;
  const template = process.env.MOVIEC_TEST_TEMPLATE;
  if (!adminUrl || !template) throw new Error('test/support/global-setup.ts did not run');
  const name = `moviec_t_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name} TEMPLATE ${template}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), 10);
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end().catch(() => undefined);
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  // CREATE DATABASE ... TEMPLATE fails while another session is copying the same template.
  for (let attempt = 0; ; attempt++) {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
      return;
    } catch (error) {
      if (attempt >= 20 || !/being accessed by other users/.test(String(error))) throw error;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    } finally {
      await client.end();
    }
  }
}
