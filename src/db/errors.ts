/**
 * Errors that mean "the connection to PostgreSQL is gone" (a restart, a network cut), as opposed to
 * "this statement is wrong": the work should be retried once the database answers, not recorded as
 * a failure of the import or the request.
 */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  if (!e) return false;
  if (typeof e.code === 'string' && /^(ECONNREFUSED|ECONNRESET|EPIPE|57P0[1-3]|08\w{3})$/.test(e.code)) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error|the database system is (starting up|shutting down)/i.test(e.message ?? '');
}


/**
 * A transaction PostgreSQL aborted because of another one (deadlock 40P01, serialization failure
 * 40001): nothing of it was written, and running it again is the documented remedy.
 */
export function isTransientConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === '40P01' || code === '40001';
}

/** Runs a whole transaction again (up to `attempts` times, with a short random pause) after a transient conflict. */
export async function retryingConflicts<T>(transaction: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (error) {
      if (attempt >= attempts || !isTransientConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80 * attempt));
    }
  }
}
