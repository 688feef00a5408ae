import { EventEmitter } from 'node:events';
import { Logger as WorkerLogger, run, type ParsedCronItem, type Runner, type WorkerEvents } from 'graphile-worker';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createOperationsTasks } from '../schedule/tasks.js';
import { withJobLogging } from './job-logging.js';
import { recoveryFromEnv, startRecovery, type RecoveryOptions } from './recovery.js';
import { createTaskList, type TaskDependencies } from './tasks.js';

export interface WorkerOptions extends TaskDependencies {
  concurrency: number;
  /** Recurring jobs (src/schedule/schedules.ts workerSchedules); none when absent. */
  schedules?: ParsedCronItem[];
  /** Configuration of the operations tasks (poster mirror); read from the environment when absent. */
  config?: Config;
  /** Crash recovery timings (src/workers/recovery.ts); default from WORKER_RECOVERY_SECONDS. */
  recovery?: RecoveryOptions;
}

/**
 * Starts a Graphile Worker on the shared pool; stop it with `runner.stop()`. The process also
 * announces that it is alive and releases the jobs of worker processes that died (recovery.ts).
 */
export async function startWorker(options: WorkerOptions): Promise<Runner> {
  const events: WorkerEvents = new EventEmitter();
  let poolId: string | undefined;
  events.on('pool:create', ({ workerPool }) => {
    poolId ??= workerPool.id;
  });
  const runner = await run({
    pgPool: options.pool,
    concurrency: options.concurrency,
    taskList: withJobLogging({ ...createTaskList(options), ...createOperationsTasks(options) }, options.logger),
    parsedCronItems: options.schedules ?? [],
    noHandleSignals: true,
    pollInterval: 1000,
    logger: workerLogger(options.logger),
    events,
  });
  if (!poolId) return runner;
  const recovery = startRecovery(options.pool, poolId, options.logger, options.recovery ?? recoveryFromEnv());
  return {
    ...runner,
    async stop(reason?: string) {
      // Jobs still running finish first; until then this process stays visibly alive.
      try {
        await runner.stop(reason);
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
