import type { Task, TaskList } from 'graphile-worker';
import type { Logger } from '../logger.js';

/**
 * Wraps every task so that its outcome is logged with the job's id, task, attempt and duration:
 * a failure as an error (Graphile Worker retries it while attempts remain), success at debug.
 */
export function withJobLogging(tasks: TaskList, logger: Logger): TaskList {
  return Object.fromEntries(
    Object.entries(tasks).flatMap(([name, task]) => (task ? [[name, logged(name, task, logger)] as const] : [])),
  );
}

function logged(name: string, task: Task, logger: Logger): Task {
  return async (payload, helpers) => {
    const { id, attempts, max_attempts: maxAttempts } = helpers.job;
    const log = logger.child({ jobId: id, task: name });
    const started = Date.now();
    try {
      const result = await task(payload, helpers);
      log.debug({ durationMs: Date.now() - started }, 'job done');
      return result;
    } catch (error) {
      log.error({ err: error, attempt: attempts, maxAttempts, durationMs: Date.now() - started }, 'job failed');
      throw error;
    }
  };
}
