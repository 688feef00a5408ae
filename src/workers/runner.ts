import { ping } from '../db/pool.js';
import { EventEmitter } from 'node:events';
import { Logger as WorkerLogger, run, type ParsedCronItem, type Runner, type WorkerEvents } from 'graphile-worker';
import { ingestSettings } from '../config.js';
import { enqueueRefit, needsRefitForFormula } from '../db/scoring-jobs.js';
import { FORMULA_VERSION } from '../scoring/explain.js';
import type { Logger } from '../logger.js';
import { createOperationsTasks } from '../schedule/tasks.js';
import { withJobLogging } from './job-logging.js';
import { recoveryFromConfig, startRecovery, type RecoveryOptions } from './recovery.js';
import { createTaskList, type TaskDependencies } from './tasks.js';

export interface WorkerOptions extends TaskDependencies {
  concurrency: number;
  /** Recurring jobs (src/schedule/schedules.ts workerSchedules); none when absent. */
  schedules?: ParsedCronItem[];
  /** Crash recovery timings (src/workers/recovery.ts); default from WORKER_RECOVERY_SECONDS. */
  recovery?: RecoveryOptions;
  /** Pause between attempts to restart the worker pool after it stopped on an error (default 1 s). */
  restartDelayMs?: number;
}

/** A running worker: jobs are taken until stop(), through database outages. */
export interface Worker {
  /** Jobs still running finish first. */
  stop(reason?: string): Promise<void>;
  /** How many times the worker pool was restarted after a database outage stopped it. */
  readonly restarts: number;
}

/**
 * Starts a Graphile Worker on the shared pool; stop it with `stop()`. The process also announces
 * that it is alive and releases the jobs of worker processes that died (recovery.ts).
 *
 * Graphile Worker stops its whole pool when it cannot record a job's outcome for ~5 minutes (a lost
 * connection during `completeJobs` / `failJobs`, e.g. a PostgreSQL outage) and rejects the runner's
 * promise; left alone, that rejection ends the process — the API of `npm start` with it. Here the rejection
 * is logged as a warning and a new pool is started as soon as the database answers again. The jobs
 * the stopped pool held stay locked by its id, which no liveness connection carries any more, so
 * recovery releases them after the grace period and they run again (an import starts over, so its
 * run ends SUCCEEDED, PARTIAL or FAILED — never RUNNING for ever).
 */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const { pool, logger } = options;
  const recovery = startRecovery(pool, logger, options.recovery ?? recoveryFromConfig(options.config));
  // The liveness connection exists before any job is locked (named "starting" until the pool id is known).
  await recovery.ready;
  const ingest = options.ingest ?? (options.config ? ingestSettings(options.config) : undefined);
  const taskList = withJobLogging({ ...createTaskList({ ...options, ingest }), ...createOperationsTasks(options) }, logger);
  let stopping = false;
  let restarts = 0;
  let current: Runner | undefined;
  let wake: (() => void) | undefined;

  const launch = async (): Promise<Runner> => {
    const events: WorkerEvents = new EventEmitter();
    events.on('pool:create', ({ workerPool }) => recovery.setPoolId(workerPool.id));
    recovery.setPoolId(undefined);
    return run({
      pgPool: pool,
      concurrency: options.concurrency,
      taskList,
      parsedCronItems: options.schedules ?? [],
      noHandleSignals: true,
      pollInterval: 1000,
      logger: workerLogger(logger),
      events,
      // Unbatched, Graphile Worker records a job's outcome without awaiting it, so a lost
      // connection there is an unhandled rejection that ends the process. Batched (even with no
      // delay), the outcome is retried for ~5 minutes and then stops the pool, which restarts below.
      preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
    });
  };
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const supervise = (runner: Runner) => {
    current = runner;
    // Graphile Worker's runner promise resolves (it catches its pool's error itself) or rejects when
    // the pool stopped: either way, unless stop() was asked for, a new pool is started.
    const restart = async (error?: unknown) => {
      if (stopping || current !== runner) return;
      current = undefined;
      logger.warn({ err: error }, 'the worker pool stopped; restarting it once the database answers');
      while (!stopping) {
        await pause(options.restartDelayMs ?? 1000);
        if (stopping) return;
        try {
          await ping(pool);
          const next = await launch();
          restarts++;
          logger.info({ restarts }, 'worker pool restarted');
          if (stopping) await next.stop();
          else supervise(next);
          return;
        } catch (retryError) {
          logger.debug({ err: retryError }, 'worker pool restart failed; retrying');
        }
      }
    };
    runner.promise.then(() => restart(), (error: unknown) => restart(error));
  };
  supervise(await launch());
  // A new scoring formula (an upgrade) refits and re-aggregates the catalogue by itself.
  if (await needsRefitForFormula(pool, FORMULA_VERSION)) await enqueueRefit(pool, 0);

  return {
    get restarts() {
      return restarts;
    },
    async stop(reason?: string) {
      stopping = true;
      wake?.();
      // Jobs still running finish first; until then this process stays visibly alive.
      try {
        await current?.stop(reason).catch((error: unknown) => {
          if (!/already stopped/.test(String(error))) throw error;
        });
      } finally {
        await recovery.stop();
      }
    },
  };
}

function workerLogger(logger: Logger): WorkerLogger {
  return new WorkerLogger((scope) => (level, message, meta) => {
    const fields = { ...scope, ...meta };
    // LogLevel is a const enum, which swc cannot import: compare its string values.
    const name = level as string;
    if (name === 'error') logger.error(fields, message);
    else if (name === 'warning') logger.warn(fields, message);
    else logger.debug(fields, message);
  });
}
