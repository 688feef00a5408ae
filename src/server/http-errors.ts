import type { Response } from 'express';
import { MovieCError, type ErrorCode } from '../errors.js';

/** The HTTP edge of src/errors.ts: the status of each client-facing error code. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
};

/** The status a domain error is answered with; null for anything else (a 500, left to the error handler). */
export function httpStatusOf(error: unknown): number | null {
  return error instanceof MovieCError ? (STATUS[error.code] ?? null) : null;
}

/** Answers a domain error as `status {"error": message}`; false (nothing sent) for any other error. */
export function sendDomainError(res: Response, error: unknown, prefix = ''): boolean {
  const status = httpStatusOf(error);
  if (status === null) return false;
  res.status(status).json({ error: `${prefix}${(error as Error).message}` });
  return true;
}
