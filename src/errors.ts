/**
 * Every MovieC error class, in one module (as got's source/core/errors.ts). Each has a `name` and
 * a `code`; services and pipeline steps throw them, and the edges translate the code: GraphQL sets
 * `extensions.code` (src/graphql/errors.ts), HTTP answers a status and `{ "error": message }`
 * (src/server/http-errors.ts), the CLI prints the message and exits 1 (src/cli/index.ts).
 * Messages say what to do and carry no secrets.
 */

export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'INVALID_CONFIGURATION'
  | 'UNKNOWN_PROVIDER'
  | 'INVALID_PROVIDER'
  | 'MIGRATION_FAILED'
  | 'SOURCE_UNREADABLE'
  | 'ROW_INVALID'
  | 'PROVIDER_REQUEST_FAILED'
  | 'CACHE_UNAVAILABLE'
  | 'CACHE_TIMEOUT'
  | 'POSTER_DOWNLOAD_FAILED';

export abstract class MovieCError extends Error {
  abstract override readonly name: string;
  abstract readonly code: ErrorCode;
}

/** A client's argument is invalid (GraphQL BAD_USER_INPUT with `argumentName`, HTTP 400). */
export class BadInputError extends MovieCError {
  override readonly name = 'BadInputError';
  readonly code = 'BAD_USER_INPUT';
  constructor(
    message: string,
    /** The argument at fault, when one is. */
    readonly argumentName?: string,
  ) {
    super(message);
  }
}

/** What the client named does not exist (GraphQL NOT_FOUND, HTTP 404). */
export class NotFoundError extends MovieCError {
  override readonly name = 'NotFoundError';
  readonly code = 'NOT_FOUND';
}

/** Credentials are missing or wrong (HTTP 401). */
export class UnauthenticatedError extends MovieCError {
  override readonly name = 'UnauthenticatedError';
  readonly code = 'UNAUTHENTICATED';
}

/** The operation is not allowed on this server (HTTP 403). */
export class ForbiddenError extends MovieCError {
  override readonly name = 'ForbiddenError';
  readonly code = 'FORBIDDEN';
}

/** The environment holds invalid values; the message lists each (src/config.ts). */
export class ConfigError extends MovieCError {
  override readonly name = 'ConfigError';
  readonly code = 'INVALID_CONFIGURATION';
}

/** An unknown provider name (src/sources/registry.ts): a usage error, with the names that are known. */
export class UnknownProviderError extends MovieCError {
  override readonly name = 'UnknownProviderError';
  readonly code = 'UNKNOWN_PROVIDER';
  constructor(
    readonly given: string,
    known: readonly string[],
  ) {
    super(`Unknown provider "${given}"; known: ${known.join(', ')}`);
  }
}

/** A provider module that does not state its facts correctly: a configuration error. */
export class ProviderDefinitionError extends MovieCError {
  override readonly name = 'ProviderDefinitionError';
  readonly code = 'INVALID_PROVIDER';
}

/** A migration could not be applied (src/db/migrate.ts). */
export class MigrationError extends MovieCError {
  override readonly name = 'MigrationError';
  readonly code = 'MIGRATION_FAILED';
  constructor(
    readonly migration: string,
    cause: unknown,
  ) {
    super(`Migration ${migration} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** A provider input cannot be read (bad location, unreachable file, wrong format): the import run fails. */
export class SourceError extends MovieCError {
  override readonly name = 'SourceError';
  readonly code = 'SOURCE_UNREADABLE';
}

/** A field of one input row cannot be read: the row is rejected with this message, the run goes on. */
export class RowError extends MovieCError {
  override readonly name = 'RowError';
  readonly code = 'ROW_INVALID';
}

/** A provider API request failed for good (after any retries). The caller decides whether the run goes on. */
export class TmdbError extends MovieCError {
  override readonly name = 'TmdbError';
  readonly code = 'PROVIDER_REQUEST_FAILED';
  constructor(
    message: string,
    readonly status: number | null,
    /** The start of the response body, when there is one. */
    readonly excerpt?: string,
  ) {
    super(message);
  }
}

/** The shared cache (Redis) does not answer; callers fall back to the database. */
export class CacheUnavailableError extends MovieCError {
  override readonly name = 'CacheUnavailableError';
  readonly code = 'CACHE_UNAVAILABLE';
}

/**
 * The shared cache (Redis) did not answer one command within its timeout, on a connection that is
 * still up: Redis (or this process, descheduled) was slow, not restarted.
 */
export class CacheTimeoutError extends MovieCError {
  override readonly name = 'CacheTimeoutError';
  readonly code = 'CACHE_TIMEOUT';
}

/** A poster could not be fetched (status, size, type). */
export class PosterDownloadError extends MovieCError {
  override readonly name = 'PosterDownloadError';
  readonly code = 'POSTER_DOWNLOAD_FAILED';
}
