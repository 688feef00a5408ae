import type pg from 'pg';
import { matchReport } from '../db/catalogue.js';
import type { MatchStatsRecord } from '../db/records.js';
import { sharedPool } from '../db/request-pool.js';

/** How long one computed match report is served (it groups every provider record: seconds of work at scale). */
export const MATCH_REPORT_TTL_MS = 10_000;

interface Entry {
  at: number;
  report: Promise<MatchStatsRecord[]>;
}

// Per API (its cache object): tests run several APIs on several databases in one process.
const reports = new WeakMap<object, Entry>();

/**
 * The match report, computed at most once per MATCH_REPORT_TTL_MS per API, and once for any number
 * of requests asking at the same moment: `{ a0: matchReport … a1999: matchReport }` or 2,000
 * clients cost one GROUP BY. It runs on the process's pool, not a request's (request-pool.ts), so
 * one client going away does not cancel the report others wait for. A failure is not kept.
 */
export function cachedMatchReport(pool: pg.Pool, owner: object, now = Date.now()): Promise<MatchStatsRecord[]> {
  const entry = reports.get(owner);
  if (entry && now - entry.at < MATCH_REPORT_TTL_MS) return entry.report;
  const report = matchReport(sharedPool(pool));
  const fresh = { at: now, report };
  reports.set(owner, fresh);
  report.catch(() => {
    if (reports.get(owner) === fresh) reports.delete(owner);
  });
  return report;
}
