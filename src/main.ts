import 'reflect-metadata';
import { posterSettings } from './assets/settings.js';
import { openConfiguredCache } from './cache/index.js';
import { importSamplesIfEmpty } from './catalogue/sample.js';
import { loadConfig, providerModulePaths } from './config.js';
import { prepareDatabase } from './db/setup.js';
import { startConfiguredInbox } from './inbox/configured.js';
import { createLogger, defaultFormat } from './logger.js';
import { openRuntime } from './runtime.js';
import { operationsWorkerOptions } from './schedule/worker-options.js';
import { startApi } from './server/start.js';
import { invalidateThrough } from './services/aggregation.js';
import { rematchIfRulesChanged } from './services/rematch.js';
import { loadProviderModules } from './sources/registry.js';
import { StartupError } from './startup-error.js';
import { startWorker } from './workers/runner.js';
import { ConfigError, MigrationError, ProviderDefinitionError } from './errors.js';

/**
 * `npm start`: the whole system in one process. Embedded PostgreSQL unless DATABASE_URL is set,
 * migrations, worker and API, and the bundled sample data on an empty database.
 */
async function start(): Promise<void> {
  // Provider modules named by MOVIEC_PROVIDER_MODULES first: the configuration's provider variables come from the registry.
  await loadProviderModules(providerModulePaths());
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL ?? 'info', { format: defaultFormat(config) });
  // Schedules and the poster mirror are checked before anything starts: a bad value is one message.
  const operations = operationsWorkerOptions(config, logger);
  posterSettings(config);
  const runtime = await openRuntime(config, logger);
  // A failure from here on (a port in use) closes what started, so the database is not left behind.
  closeOnFailure = () => runtime.close();
  const running: {
    worker?: Awaited<ReturnType<typeof startWorker>>;
    api?: Awaited<ReturnType<typeof startApi>>;
    inbox?: Awaited<ReturnType<typeof startConfiguredInbox>>;
    cache?: Awaited<ReturnType<typeof openConfiguredCache>>;
    rematching?: Promise<void>;
  } = {};
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    // Ctrl-C reaches the embedded PostgreSQL too, so connections may drop while closing: not news.
    logger.level = 'fatal';
    await running.api?.close().catch((error: unknown) => logger.error({ err: error }, 'closing the API failed'));
    await running.inbox?.stop().catch((error: unknown) => logger.error({ err: error }, 'stopping the inbox failed'));
    await running.rematching;
    await running.worker?.stop().catch((error: unknown) => logger.error({ err: error }, 'stopping the worker failed'));
    await running.cache?.close().catch(() => undefined);
    await runtime.close();
    process.exit(0);
  };
  process.once('SIGINT', (s) => void shutdown(s));
  process.once('SIGTERM', (s) => void shutdown(s));

  const { applied } = await prepareDatabase(runtime.pool);
  if (applied.length) logger.info({ applied }, 'migrations applied');
  // One cache for the API and the worker of this process: aggregation invalidates what the API serves.
  const cache = (running.cache = await openConfiguredCache(runtime, true));
  running.worker = await startWorker({
    pool: runtime.pool, logger, concurrency: config.WORKER_CONCURRENCY, ...operations,
    invalidate: invalidateThrough(cache),
  });
  const api = (running.api = await startApi(runtime, cache));
  // After an upgrade that changes the matching rules, title matches are decided again (in the background).
  running.rematching = rematchIfRulesChanged(runtime.pool, { logger, onMoviesChanged: (ids) => cache.invalidateMovies(ids) }).then(
    () => undefined,
    (error: unknown) => logger.error({ err: error }, 'rematching under the new matching rules failed; run `moviec rematch`'),
  );

  await importSamplesIfEmpty(runtime.pool, logger);
  running.inbox = await startConfiguredInbox({ pool: runtime.pool, logger, config });
  console.log(`MovieC ready at http://localhost:${api.port}/graphql`);
  console.log(`Website at http://localhost:${api.port}/`);
}

let closeOnFailure: () => Promise<void> = () => Promise.resolve();

start().catch(async (error: unknown) => {
  const known = error instanceof ConfigError || error instanceof MigrationError || error instanceof ProviderDefinitionError;
  const startup = StartupError.from(error);
  console.error(known ? error.message : startup ? `MovieC could not start: ${startup.message}` : error);
  await closeOnFailure().catch(() => undefined);
  process.exit(1);
});
