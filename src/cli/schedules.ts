import type pg from 'pg';
import { printTable } from './table.js';
import type { Config } from '../config.js';
import { lastScheduleFirings } from '../db/schedule-runs.js';
import { plannedSchedules } from '../schedule/schedules.js';

/** Prints the configured schedules with when each last fired (schedule_runs, written by the scheduled tasks). */
export async function printSchedules(pool: pg.Pool, config: Config): Promise<void> {
  const schedules = plannedSchedules(config);
  const last = await lastScheduleFirings(pool);
  printTable(
    'Schedules (UTC)',
    schedules.map((s) => ({ schedule: s.identifier, cron: s.cron, 'last fired': last.get(s.identifier) ?? '', why: s.reason })),
    'none (see SCHEDULE_* in the README)',
  );
}
