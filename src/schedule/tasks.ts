import type { Task, TaskList } from 'graphile-worker';
import type pg from 'pg';
import { mirrorPostersTask } from '../assets/posters-task.js';
import { defaultConfig, type Config } from '../config.js';
import { recordScheduleFired } from '../db/schedule-runs.js';
import { cronFireTime, JOB } from '../jobs.js';
import type { Logger } from '../logger.js';
import { scheduledImportTask } from './scheduled-import.js';

export interface OperationsTaskDependencies {
  pool: pg.Pool;
  logger: Logger;
  /** The entry point's configuration; every default when absent. */
  config?: Config;
}

/**
 * A task the crontab runs: when its job came from the crontab (Graphile Worker's `_cron` in the
 * payload; the job key is the schedule's identifier, see workerSchedules), the firing is recorded
 * in schedule_runs first, for `moviec status`.
 */
function recordingFirings(pool: pg.Pool, task: Task): Task {
  return async (payload, helpers) => {
    const fired = cronFireTime(payload);
    const identifier = helpers.job.key;
    if (fired && identifier) await recordScheduleFired(pool, { identifier, jobId: helpers.job.id, ...fired });
    return task(payload, helpers);
  };
}

/** The tasks schedules run: `scheduled-import` and `mirror-posters`. */
export function createOperationsTasks({ pool, logger, config }: OperationsTaskDependencies): TaskList {
  return {
    [JOB.scheduledImport]: recordingFirings(pool, scheduledImportTask(pool, logger)),
    [JOB.mirrorPosters]: recordingFirings(pool, mirrorPostersTask(pool, () => config ?? defaultConfig(), logger)),
  };
}
