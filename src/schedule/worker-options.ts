import type { ParsedCronItem } from 'graphile-worker';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { plannedSchedules, workerSchedules } from './schedules.js';

/** What a long-running worker adds to startWorker's options: its configuration and schedules (logged). */
export function operationsWorkerOptions(config: Config, logger: Logger): { config: Config; schedules: ParsedCronItem[] } {
  const schedules = workerSchedules(config);
  for (const { identifier, cron, reason } of plannedSchedules(config)) {
    logger.info({ schedule: identifier, cron, reason }, `schedule ${identifier}: ${cron} (UTC)`);
  }
  if (!schedules.length) logger.info('no schedules configured');
  return { config, schedules };
}
