import type pg from 'pg';
import { isConnectionError } from '../db/errors.js';
import { runState, type RunState } from '../db/import-runs.js';
import { pendingImportFollowUpJobs } from '../db/jobs.js';

export type { RunState };

/**
 * The database stayed unreachable for longer than the CLI waits. The import run itself is not lost:
 * its job stays in the queue and the next worker finishes it (src/workers/recovery.ts).
 */
export class DatabaseUnavailableError extends Error {
  readonly code = 'DATABASE_UNAVAILABLE';
}

/**
 * Runs a database poll, riding out an outage: connection errors are retried every second for up
 * to `outageMs` (reported once through onOutage); then DatabaseUnavailableError.
 */
export async function riding<T>(poll: () => Promise<T>, outageMs: number, onOutage: (error: unknown) => void): Promise<T> {
  let since: number | undefined;
  for (;;) {
    try {
      return await poll();
    } catch (error) {
      if (!isConnectionError(error)) throw error;
      if (since === undefined) {
        since = Date.now();
        onOutage(error);
      }
      if (Date.now() - since >= outageMs) {
        throw new DatabaseUnavailableError(`the database is unreachable (${(error as Error).message}) and did not return within ${Math.round(outageMs / 1000)} s`);
      }
      await sleep(1000);
    }
  }
}

const FINAL = new Set(['SUCCEEDED', 'PARTIAL', 'FAILED']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls an import run until it is finished, reporting each state seen. */
export async function waitForRun(
  pool: pg.Pool, runId: string, onState: (run: RunState) => void, everyMs = 500, outage?: { ms: number; onOutage: (error: unknown) => void },
): Promise<RunState> {
  const query = () => runState(pool, runId);
  for (;;) {
    const run = outage ? await riding(query, outage.ms, outage.onOutage) : await query();
    if (!run) throw new Error(`Import run ${runId} does not exist`);
    onState(run);
    if (FINAL.has(run.status)) return run;
    await sleep(everyMs);
  }
}

/** Number of aggregation and scoring refit jobs still to run (permanently failed ones are not counted). */
export async function pendingAggregation(pool: pg.Pool): Promise<number> {
  return pendingImportFollowUpJobs(pool);
}

/** Waits until the aggregation queue is empty, reporting how many jobs remain. */
export async function waitForAggregation(
  pool: pg.Pool, onPending: (n: number) => void, everyMs = 500, outage?: { ms: number; onOutage: (error: unknown) => void },
): Promise<void> {
  for (;;) {
    const pending = outage ? await riding(() => pendingAggregation(pool), outage.ms, outage.onOutage) : await pendingAggregation(pool);
    onPending(pending);
    if (pending === 0) return;
    await sleep(everyMs);
  }
}
