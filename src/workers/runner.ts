import { ping } from '../db/pool.js';
import { EventEmitter } from 'node:events';
import { Logger as WorkerLogger, run, type ParsedCronItem, type Runner, type WorkerEvents } from 'graphile-worker';
import { ingestSettings } from '../config.js';
import { enqueueRefit, needsRefitForFormula } from '../db/scoring-jobs.js';
import { FORMULA_VERSION } from '../scoring/explain.js';
import type { Logger } from '../logger.js';
import { createOperationsTasks } from '../schedule/tasks.js';
import { withJobLogging } from './job-logging.js';
import { gatePool, type PoolGate } from './pool-gate.js';
import { recoveryFromConfig, startRecovery, type RecoveryOptions } from './recovery.js';
import { createTaskList, type TaskDependencies } from './tasks.js';

/**
 * Job outcomes recorded through Graphile Worker's batcher (with no delay). Unbatched, Graphile Worker
 * 0.17 records a job's completion or failure without awaiting it: a lost connection there is an
 * unhandled rejection that ends the process, and a pool (runOnce too) can finish before the last
 * outcome is written. Batched, a failure to record it stops the pool instead (which the supervisor
 * below replaces), and the pool's end waits for every outcome.
 */
export const OUTCOMES_AWAITED = { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } } as const;

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
 * A PostgreSQL outage stops a Graphile Worker pool: when it cannot record a job's outcome (a
 * batched `completeJobs` / `failJobs` meets a lost connection; Graphile Worker 0.17 does not retry
 * it) it emits `pool:fatalError` and shuts itself down. That shutdown may never finish: its batcher
 * miscounts when a second outcome is recorded after the first failure, and then `runner.promise`
 * never settles (docs/RELIABILITY.md 5b). So this supervisor does not wait for the promise. On the
 * first sign — `pool:fatalError`, a `pool:gracefulShutdown` it did not ask for, or the runner's
 * promise settling — it gives the pool up:
 * 1. the pool's cron is stopped and its shutdown started (never awaited);
 * 2. its jobs in progress end (each at its next statement during an outage; their outcome is
 *    recorded if the database is back by then);
 * 3. its database access is shut (pool-gate.ts) and whatever it still had running against the
 *    database settles: from here on it can neither complete nor fail any job, so it cannot touch
 *    one that another worker took meanwhile;
 * 4. the liveness connection says no pool runs here, so crash recovery releases the jobs the old
 *    pool left locked after the grace period (they run again: every task is idempotent, an import
 *    starts over and ends SUCCEEDED, PARTIAL or FAILED — never RUNNING for ever);
 * 5. as soon as `SELECT 1` works, a new pool starts, and the liveness connection takes its id.
 * What is left of a given-up pool is a few objects in memory (its shutdown promise); no timer and no
 * connection — once per outage.
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
  let current: WorkerPool | undefined;
  let retiring: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  const launch = async (): Promise<WorkerPool> => {
    const events: WorkerEvents = new EventEmitter();
    const gate = gatePool(pool);
    let failed!: (reason: unknown) => void;
    const failure = new Promise<unknown>((resolve) => (failed = resolve));
    // Workers are counted from their creation to their end (after their job in progress, if any).
    let workers = 0;
    let allStopped: (() => void) | undefined;
    events.on('pool:create', ({ workerPool }) => recovery.setPoolId(workerPool.id));
    events.on('worker:create', () => workers++);
    events.on('worker:stop', () => {
      if (--workers === 0) allStopped?.();
    });
    events.on('pool:fatalError', ({ error }) => failed(error));
    events.on('pool:gracefulShutdown', ({ message }) => failed(new Error(message)));
    recovery.setPoolId(undefined);
    const runner = await run({
      pgPool: gate.pool,
      concurrency: options.concurrency,
      taskList,
      parsedCronItems: options.schedules ?? [],
      noHandleSignals: true,
      pollInterval: 1000,
      logger: workerLogger(logger),
      events,
      preset: OUTCOMES_AWAITED,
    });
    runner.promise.then(() => failed(new Error('the worker pool ended')), (error: unknown) => failed(error));
    return {
      runner,
      gate,
      failure,
      workersStopped: () => (workers === 0 ? Promise.resolve() : new Promise<void>((resolve) => (allStopped = resolve))),
    };
  };
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const giveUp = async (old: WorkerPool, reason: unknown) => {
    logger.warn({ err: reason }, 'the worker pool stopped on a database error; a new one starts once its jobs in progress ended and the database answers');
    // Its cron stops and its shutdown starts if it has not; Graphile Worker's shutdown may never settle.
    old.runner.stop('given up after a database error').catch(() => undefined);
    await old.workersStopped();
    await old.gate.close();
    recovery.setPoolId(null);
  };
  const supervise = (launched: WorkerPool) => {
    current = launched;
    void launched.failure.then(async (reason) => {
      if (stopping || current !== launched) return;
      current = undefined;
      retiring = giveUp(launched, reason);
      await retiring;
      retiring = undefined;
      while (!stopping) {
        await pause(options.restartDelayMs ?? 1000);
        if (stopping) return;
        try {
          await ping(pool);
          const next = await launch();
          restarts++;
          logger.info({ restarts }, 'worker pool restarted');
          if (stopping) await next.runner.stop();
          else supervise(next);
          return;
        } catch (retryError) {
          logger.debug({ err: retryError }, 'worker pool restart failed; retrying');
        }
      }
    });
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
        await retiring;
        await current?.runner.stop(reason).catch((error: unknown) => {
          if (!/already stopped/.test(String(error))) throw error;
        });
      } finally {
        await recovery.stop();
      }
    },
  };
}

/** One Graphile Worker pool started by the supervisor. */
interface WorkerPool {
  runner: Runner;
  /** Its own view of the shared pool, shut when the pool is given up. */
  gate: PoolGate;
  /** Settles at the first sign that the pool stopped (or is stopping) by itself. */
  failure: Promise<unknown>;
  /** Resolves once every worker of the pool ended (with it, every job in progress). */
  workersStopped(): Promise<void>;
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
