import type pg from 'pg';
import { AGGREGATION_JOBS } from '../jobs.js';

export interface RunState {
  id: string;
  status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'PARTIAL' | 'FAILED';
  rows_read: number;
  rows_changed: number;
  rows_rejected: number;
  movies_queued: number;
  error: string | null;
}

const FINAL = new Set(['SUCCEEDED', 'PARTIAL', 'FAILED']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls an import run until it is finished, reporting each state seen. */
export async function waitForRun(pool: pg.Pool, runId: string, onState: (run: RunState) => void, everyMs = 500): Promise<RunState> {
  for (;;) {
    const { rows } = await pool.query<RunState>(
      `SELECT id, status, rows_read, rows_changed, rows_rejected, movies_queued, error FROM import_runs WHERE id = $1`,
      [runId],
    );
    const run = rows[0];
    if (!run) throw new Error(`Import run ${runId} does not exist`);
    onState(run);
    if (FINAL.has(run.status)) return run;
    await sleep(everyMs);
  }
}

/** Number of aggregation jobs still to run (permanently failed ones are not counted). */
export async function pendingAggregation(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM graphile_worker.jobs
      WHERE task_identifier = ANY($1::text[]) AND attempts < max_attempts`,
    [AGGREGATION_JOBS],
  );
  return rows[0]?.n ?? 0;
}

/** Waits until the aggregation queue is empty, reporting how many jobs remain. */
export async function waitForAggregation(pool: pg.Pool, onPending: (n: number) => void, everyMs = 500): Promise<void> {
  for (;;) {
    const pending = await pendingAggregation(pool);
    onPending(pending);
    if (pending === 0) return;
    await sleep(everyMs);
  }
}
