import { Logger, runOnce, type TaskList } from 'graphile-worker';
import type pg from 'pg';
import { OUTCOMES_AWAITED } from '../../src/workers/runner.js';

const quiet = new Logger(() => () => undefined);

/**
 * Runs every job that can run now and returns once each outcome is in the jobs table. Plain
 * `runOnce` can return before the last job's completion or failure is written (Graphile Worker 0.17
 * does not await it unbatched), so a test reading the queue right after saw a finished job still
 * there, or a failed one without its error, on a busy machine.
 */
export async function runJobsOnce(pool: pg.Pool, taskList: TaskList): Promise<void> {
  await runOnce({ pgPool: pool, taskList, logger: quiet, preset: OUTCOMES_AWAITED });
}
