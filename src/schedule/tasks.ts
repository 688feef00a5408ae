import type { TaskList } from 'graphile-worker';
import type pg from 'pg';
import { mirrorPostersTask } from '../assets/posters-task.js';
import { loadConfig, type Config } from '../config.js';
import type { Logger } from '../logger.js';
import { scheduledImportTask } from './scheduled-import.js';
import { MIRROR_POSTERS_TASK, SCHEDULED_IMPORT_TASK } from './schedules.js';

export interface OperationsTaskDependencies {
  pool: pg.Pool;
  logger: Logger;
  /** Read from the environment when the task runs if not given. */
  config?: Config;
}

/** The tasks schedules run: `scheduled-import` and `mirror-posters`. */
export function createOperationsTasks({ pool, logger, config }: OperationsTaskDependencies): TaskList {
  return {
    [SCHEDULED_IMPORT_TASK]: scheduledImportTask(pool, logger),
    [MIRROR_POSTERS_TASK]: mirrorPostersTask(pool, () => config ?? loadConfig(), logger),
  };
}
