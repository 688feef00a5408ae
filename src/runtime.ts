import path from 'node:path';
import type pg from 'pg';
import type { Config } from './config.js';
import { useEmbeddedPostgres, type SharedEmbedded } from './db/embedded-owner.js';
import { createPool } from './db/pool.js';
import type { Logger } from './logger.js';

export interface Runtime {
  config: Config;
  logger: Logger;
  databaseUrl: string;
  pool: pg.Pool;
  /**
   * The API's own connections, with API_STATEMENT_TIMEOUT_MS as PostgreSQL's statement_timeout: one
   * costly request cannot hold a connection for long, while the worker's aggregation (on `pool`) is
   * not limited. Opened lazily, so processes without an API never connect through it.
   */
  apiPool: pg.Pool;
  /** The API's catalogue reads: DATABASE_READ_URL's pool (a replica, with the same statement_timeout), else apiPool. */
  readPool: pg.Pool;
  /** Closes connections; leaves the embedded PostgreSQL, stopping it when no other process uses it. */
  close(): Promise<void>;
}

/**
 * Connects to DATABASE_URL, or without it to the embedded PostgreSQL of MOVIEC_DATA_DIR/pg: the
 * one already running on that folder (another MovieC process started it; recognised by the folder,
 * never by a port), or one started here. Closing leaves it running while another process uses it
 * (src/db/embedded-owner.ts), so `moviec import` never stops the database under `npm start`.
 */
export async function openRuntime(config: Config, logger: Logger): Promise<Runtime> {
  let embedded: SharedEmbedded | undefined;
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    const dataDir = path.resolve(config.MOVIEC_DATA_DIR, 'pg');
    embedded = await useEmbeddedPostgres({ dataDir, port: config.EMBEDDED_PG_PORT, onLog: (message) => logger.debug(message) });
    databaseUrl = embedded.url;
    if (embedded.started) {
      logger.info({ dataDir, port: embedded.port }, 'embedded PostgreSQL started (set DATABASE_URL to use your own server)');
    } else {
      logger.debug({ dataDir, port: embedded.port }, 'using the embedded PostgreSQL another MovieC process started on this data folder');
    }
  }
  const pool = createPool(databaseUrl, 20);
  const apiPool = createPool(databaseUrl, 20, { statementTimeoutMs: config.API_STATEMENT_TIMEOUT_MS });
  const readPool = config.DATABASE_READ_URL ? createPool(config.DATABASE_READ_URL, 20, { statementTimeoutMs: config.API_STATEMENT_TIMEOUT_MS }) : apiPool;
  let closed = false;
  return {
    config,
    logger,
    databaseUrl,
    pool,
    apiPool,
    readPool,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end().catch(() => undefined);
      await apiPool.end().catch(() => undefined);
      if (readPool !== apiPool) await readPool.end().catch(() => undefined);
      if (embedded) await embedded.release();
    },
  };
}
