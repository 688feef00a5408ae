import path from 'node:path';
import pg from 'pg';
import type { Config } from './config.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.js';
import { createPool } from './db/pool.js';
import { createPrisma, type PrismaClient } from './db/prisma.js';
import type { Logger } from './logger.js';

export interface Runtime {
  config: Config;
  logger: Logger;
  databaseUrl: string;
  pool: pg.Pool;
  prisma: PrismaClient;
  /** Closes connections, and stops the embedded PostgreSQL when this process started it. */
  close(): Promise<void>;
}

/**
 * Connects to DATABASE_URL, or without it to the embedded PostgreSQL whose data lives in
 * MOVIEC_DATA_DIR/pg: started here unless another MovieC process on this machine already runs it
 * (e.g. `moviec import` while `npm start` is up), in which case it is shared.
 */
export async function openRuntime(config: Config, logger: Logger): Promise<Runtime> {
  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    const sharedUrl = `postgresql://moviec:moviec@127.0.0.1:${config.EMBEDDED_PG_PORT}/moviec`;
    if (await reachable(sharedUrl)) {
      databaseUrl = sharedUrl;
      logger.debug('using the embedded PostgreSQL another MovieC process started');
    } else {
      const dataDir = path.resolve(config.MOVIEC_DATA_DIR, 'pg');
      logger.info({ dataDir, port: config.EMBEDDED_PG_PORT }, 'starting embedded PostgreSQL (set DATABASE_URL to use your own server)');
      embedded = await startEmbeddedPostgres({ dataDir, port: config.EMBEDDED_PG_PORT, persistent: true });
      databaseUrl = embedded.url;
    }
  }
  const pool = createPool(databaseUrl, 20);
  const prisma = createPrisma(pool);
  let closed = false;
  return {
    config,
    logger,
    databaseUrl,
    pool,
    prisma,
    async close() {
      if (closed) return;
      closed = true;
      await prisma.$disconnect().catch(() => undefined);
      await pool.end().catch(() => undefined);
      if (embedded) await embedded.stop();
    },
  };
}

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}
