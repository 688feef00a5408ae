/**
 * Errors that mean "the connection to PostgreSQL is gone" (a restart, a network cut), as opposed to
 * "this statement is wrong": the work should be retried once the database answers, not recorded as
 * a failure of the import or the request.
 */
export function isConnectionError(error: unknown): boolean {
  return connectionLost(error, 0);
}

const PG_CONNECTION_CODES = /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|57P0[1-3]|08\w{3})$/;
/** Prisma's codes for an unreachable server, a connection closed or timed out (P1001, P1002, P1008, P1017). */
const PRISMA_CONNECTION_CODES = /^P10(01|02|08|17)$/;
/** How @prisma/adapter-pg names a lost connection it passes on (DriverAdapterError's cause). */
const ADAPTER_CONNECTION_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout']);

/** pg's errors, and the same errors as the Prisma client passes them on (wrapped, with the driver's error as cause). */
function connectionLost(error: unknown, depth: number): boolean {
  const e = error as { code?: unknown; originalCode?: unknown; kind?: unknown; message?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown } } | null | undefined;
  if (!e || typeof e !== 'object' || depth > 4) return false;
  if (typeof e.code === 'string' && (PG_CONNECTION_CODES.test(e.code) || PRISMA_CONNECTION_CODES.test(e.code))) return true;
  if (typeof e.originalCode === 'string' && PG_CONNECTION_CODES.test(e.originalCode)) return true;
  if (typeof e.kind === 'string' && ADAPTER_CONNECTION_KINDS.has(e.kind)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (/Connection terminated|connection timeout|Client has encountered a connection error|the database system is (starting up|shutting down)|ECONNREFUSED|ECONNRESET/i.test(message)) return true;
  return connectionLost(e.cause, depth + 1) || connectionLost(e.meta?.driverAdapterError, depth + 1);
}


/**
 * A transaction PostgreSQL aborted because of another one (deadlock 40P01, serialization failure
 * 40001): nothing of it was written, and running it again is the documented remedy.
 */
export function isTransientConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === '40P01' || code === '40001';
}

/**
 * A lock request that was not granted: lock_timeout or NOWAIT ran out (55P03), or PostgreSQL broke
 * a deadlock by cancelling it (40P01). The bulk paths then take the ordinary one.
 */
export function isLockNotGranted(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === '55P03' || code === '40P01';
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
