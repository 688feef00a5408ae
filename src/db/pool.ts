import pg from 'pg';

/** One pg pool per process, shared by Prisma (through its adapter), bulk SQL and Graphile Worker. */
export function createPool(connectionString: string, max = 10, { statementTimeoutMs = 0 }: { statementTimeoutMs?: number } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    application_name: 'moviec',
    // Sent at connection start-up: every statement of this pool is cancelled by PostgreSQL past it (0: never).
    ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}),
  });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** Runs fn inside BEGIN/COMMIT on one client, rolling back on any error. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** One trivial statement: does the database answer (GET /readyz)? */
export async function ping(pool: pg.Pool): Promise<void> {
  await pool.query('SELECT 1');
}
