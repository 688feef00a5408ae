import { parseCronItems } from 'graphile-worker';
import type { Config } from '../config.js';
import { providerImportCrons } from './schedules.js';

/**
 * How often each provider is expected to be read again, from its import schedule: the longest gap
 * between two consecutive times its cron fires (nightly: 24 h, hourly: 1 h). A rating read longer
 * ago than that is stale. Null: the schedule is off, so no refresh is expected.
 */
export type RefreshIntervals = Record<string, number | null>;

const MINUTE = 60_000;
/** A year of minutes is scanned, so monthly or yearly crons get their real gap too. */
const SCAN_MINUTES = 366 * 24 * 60;

export function providerRefreshIntervals(config?: Config): RefreshIntervals {
  return Object.fromEntries(providerImportCrons(config).map(({ provider, cron }) => [provider, cron ? cronInterval(cron) : null]));
}

/** The longest gap between consecutive firings of a cron expression (UTC), in milliseconds. */
export function cronInterval(cron: string): number | null {
  const [item] = parseCronItems([{ task: 'interval', match: cron, identifier: 'interval' }]);
  const start = Date.UTC(2026, 0, 1);
  let first: number | null = null;
  let previous: number | null = null;
  let longest = 0;
  for (let i = 0; i < SCAN_MINUTES; i++) {
    const t = new Date(start + i * MINUTE);
    const digest = { min: t.getUTCMinutes(), hour: t.getUTCHours(), date: t.getUTCDate(), month: t.getUTCMonth() + 1, dow: t.getUTCDay() };
    if (!item!.match(digest)) continue;
    if (previous !== null) longest = Math.max(longest, i - previous);
    first ??= i;
    previous = i;
  }
  if (first === null || previous === null) return null;
  // The gap across the end of the scanned year back to the first firing (a cron firing once a year).
  if (previous !== first) longest = Math.max(longest, SCAN_MINUTES - previous + first);
  else longest = SCAN_MINUTES;
  return longest * MINUTE;
}
