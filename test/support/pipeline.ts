import type pg from 'pg';
import { executeImport, queueImport } from '../../src/services/import.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import type { Invalidate } from '../../src/services/aggregation.js';
import { createTaskList, type TaskDependencies } from '../../src/workers/tasks.js';
import { runJobsOnce } from './jobs.js';

/**
 * Runs every queued job (imports, then the aggregation they queue) until none is left, with the
 * configuration of the environment as it is now (tests set TMDB_API_TOKEN before they drain),
 * invalidating an API's cache through `invalidate` as a worker does. A job that
 * failed is retried later by Graphile Worker, not by runOnce: it fails the test here with its
 * error, instead of surfacing later as an unexplained leftover job.
 */
export async function drainJobs(pool: pg.Pool, invalidate?: Invalidate, tasks: Partial<TaskDependencies> = {}): Promise<void> {
  const taskList = createTaskList({
    pool, logger: createLogger('silent'), config: loadConfig(), refitDelaySeconds: 0, ...(invalidate ? { invalidate } : {}), ...tasks,
  });
  await runJobsOnce(pool, taskList);
  const { rows } = await pool.query<{ task_identifier: string; attempts: number; last_error: string }>(
    `SELECT task_identifier, attempts, last_error FROM graphile_worker.jobs WHERE last_error IS NOT NULL ORDER BY id`,
  );
  if (rows.length) {
    throw new Error(`jobs failed while draining: ${rows.map((r) => `${r.task_identifier} (attempt ${r.attempts}): ${r.last_error}`).join('; ')}`);
  }
}

/** Queues an IMDb import through the worker path and runs it and its aggregation to the end. */
export async function importImdb(pool: pg.Pool, basics: string, ratings: string) {
  const runId = await queueImport(pool, 'imdb', { basics, ratings }, 'cli');
  await drainJobs(pool);
  const { rows } = await pool.query('SELECT * FROM import_runs WHERE id = $1', [runId]);
  return rows[0] as {
    id: string; status: string; rows_read: number; rows_changed: number; rows_rejected: number; movies_queued: number; error: string | null;
  };
}

/** Queued aggregation jobs (ingest jobs of runs a test executed directly are left out). */
export async function pendingJobs(pool: pg.Pool): Promise<{ task_identifier: string; key: string | null }[]> {
  const { rows } = await pool.query(
    `SELECT task_identifier, key FROM graphile_worker.jobs WHERE task_identifier <> 'ingest' ORDER BY id`,
  );
  return rows;
}

export { executeImport, queueImport };
