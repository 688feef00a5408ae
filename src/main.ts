import 'reflect-metadata';
import { fileURLToPath } from 'node:url';
import { waitForAggregation, waitForRun } from './cli/wait.js';
import { ConfigError, loadConfig } from './config.js';
import { MigrationError } from './db/migrate.js';
import { prepareDatabase } from './db/setup.js';
import { queueImport } from './ingest/run-import.js';
import { createLogger } from './logger.js';
import { openRuntime } from './runtime.js';
import { startApi } from './server/start.js';
import { startWorker } from './workers/runner.js';

export const SAMPLE_FILES = {
  basics: fileURLToPath(new URL('../data/sample/imdb/title.basics.tsv', import.meta.url)),
  ratings: fileURLToPath(new URL('../data/sample/imdb/title.ratings.tsv', import.meta.url)),
};

/**
 * `npm start`: the whole system in one process. Embedded PostgreSQL unless DATABASE_URL is set,
 * migrations, worker and API, and the bundled sample data on an empty database.
 */
async function start(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const runtime = await openRuntime(config, logger);
  const running: { worker?: Awaited<ReturnType<typeof startWorker>>; api?: Awaited<ReturnType<typeof startApi>> } = {};
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    // Ctrl-C reaches the embedded PostgreSQL too, so connections may drop while closing: not news.
    logger.level = 'fatal';
    await running.api?.close().catch((error: unknown) => logger.error({ err: error }, 'closing the API failed'));
    await running.worker?.stop().catch((error: unknown) => logger.error({ err: error }, 'stopping the worker failed'));
    await runtime.close();
    process.exit(0);
  };
  process.once('SIGINT', (s) => void shutdown(s));
  process.once('SIGTERM', (s) => void shutdown(s));

  const { applied } = await prepareDatabase(runtime.pool);
  if (applied.length) logger.info({ applied }, 'migrations applied');
  running.worker = await startWorker({ pool: runtime.pool, logger, concurrency: config.WORKER_CONCURRENCY });
  const api = (running.api = await startApi(runtime));

  const { rows } = await runtime.pool.query<{ empty: boolean }>(
    `SELECT NOT EXISTS (SELECT 1 FROM movies) AND NOT EXISTS (SELECT 1 FROM import_runs) AS empty`,
  );
  if (rows[0]?.empty) {
    logger.info('empty database: importing the bundled sample data');
    const runId = await queueImport(runtime.pool, 'imdb', SAMPLE_FILES, 'startup');
    const run = await waitForRun(runtime.pool, runId, () => undefined);
    await waitForAggregation(runtime.pool, () => undefined);
    logger.info({ runId, status: run.status, rowsChanged: run.rows_changed }, 'sample data imported');
  }
  console.log(`MovieC ready at http://localhost:${api.port}/graphql`);
}

start().catch((error: unknown) => {
  const known = error instanceof ConfigError || error instanceof MigrationError;
  console.error(known ? error.message : error);
  process.exit(1);
});
