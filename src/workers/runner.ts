import { Logger as WorkerLogger, run, type ParsedCronItem, type Runner } from 'graphile-worker';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createOperationsTasks } from '../schedule/tasks.js';
import { withJobLogging } from './job-logging.js';
import { createTaskList, type TaskDependencies } from './tasks.js';

export interface WorkerOptions extends TaskDependencies {
  concurrency: number;
  /** Recurring jobs (src/schedule/schedules.ts workerSchedules); none when absent. */
  schedules?: ParsedCronItem[];
  /** Configuration of the operations tasks (poster mirror); read from the environment when absent. */
  config?: Config;
}

/** Starts a Graphile Worker on the shared pool; stop it with `runner.stop()`. */
export async function startWorker(options: WorkerOptions): Promise<Runner> {
  return run({
    pgPool: options.pool,
    concurrency: options.concurrency,
    taskList: withJobLogging({ ...createTaskList(options), ...createOperationsTasks(options) }, options.logger),
    parsedCronItems: options.schedules ?? [],
    noHandleSignals: true,
    pollInterval: 1000,
    logger: workerLogger(options.logger),
  });
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
