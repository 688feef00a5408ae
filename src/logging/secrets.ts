/**
 * What must never reach a log line: credentials by key name (pino `redact` paths, up to two levels
 * deep, e.g. `{ headers: { authorization } }` or `{ config: { DATABASE_URL } }`), and passwords
 * inside URLs wherever they appear (a message, an error's stack, a nested field).
 */
const SECRET_KEYS = [
  'authorization', 'cookie', 'set-cookie', 'x-api-key', 'token', 'accessToken', 'password', 'secret',
  'DATABASE_URL', 'databaseUrl', 'REDIS_URL', 'redisUrl', 'ADMIN_TOKEN', 'TMDB_API_TOKEN',
  'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'accessKeyId', 'secretAccessKey',
];

const path = (key: string) => (/^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`);
const join = (parent: string, key: string) => (path(key).startsWith('[') ? `${parent}${path(key)}` : `${parent}.${key}`);

export const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [path(key), join('*', key), join('*.*', key)]);

export const REDACTED = '[redacted]';

/** `scheme://user:password@host` -> `scheme://user:***@host`, for every URL in the text. */
export function scrubUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:@/"'\\]*):[^\s@/"'\\]+@/gi, '$1:***@');
}
