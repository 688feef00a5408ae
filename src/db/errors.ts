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

