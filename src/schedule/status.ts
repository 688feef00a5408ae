import type pg from 'pg';
import { printTable } from '../cli/table.js';
import type { Config } from '../config.js';
import { plannedSchedules } from './schedules.js';

/** Prints the configured schedules with when each last fired (Graphile Worker's crontab bookkeeping). */
export async function printSchedules(pool: pg.Pool, config: Config): Promise<void> {
  const schedules = plannedSchedules(config);
  const { rows } = await pool
    .query<{ identifier: string; last: string | null }>(
      `SELECT identifier, to_char(last_execution, 'YYYY-MM-DD HH24:MI') AS last FROM graphile_worker._private_known_crontabs`,
    )
    .catch(() => ({ rows: [] as { identifier: string; last: string | null }[] }));
  const last = new Map(rows.map((row) => [row.identifier, row.last]));
  printTable(
    'Schedules (UTC)',
    schedules.map((s) => ({ schedule: s.identifier, cron: s.cron, 'last fired': last.get(s.identifier) ?? '', why: s.reason })),
    'none (see SCHEDULE_* in the README)',
  );
}
