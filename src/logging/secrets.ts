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

export const REDACT_PATHS = [
  ...SECRET_KEYS.flatMap((key) => [path(key), join('*', key), join('*.*', key)]),
  // A Redis command's arguments (ioredis errors carry `command: { name: 'auth', args: [password] }`).
  'command.args', '*.command.args', '*.*.command.args',
];

export const REDACTED = '[redacted]';

/** `scheme://user:password@host` -> `scheme://user:***@host`, for every URL in the text. */
export function scrubUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:@/"'\\]*):[^\s@/"'\\]+@/gi, '$1:***@');
}

/**
 * A log line as written: URL passwords masked (the user stays, for diagnosis), bearer tokens, JWTs,
 * `token=…` / `"token": "…"` secrets and every remembered secret value redacted. (Query strings of
 * logged URLs keep their harmless parameters; secret ones are redacted by name.)
 */
export function redactLogLine(line: string): string {
  let out = line;
  for (const secret of knownSecrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  out = out.replace(BEARER, (_all, scheme: string) => `${scheme} ${REDACTED}`).replace(JWT, REDACTED);
  out = out.replace(JSON_SECRET, `$1${REDACTED}"`).replace(PARAM_SECRET, `$1=${REDACTED}`);
  return scrubUrlCredentials(out);
}

/** Secret values known to this process (configured tokens and passwords), masked wherever they appear. */
const knownSecrets = new Set<string>();

/** Remembers secret values (tokens, passwords; 6 characters or more) to mask in every log line and stored text. */
export function rememberSecrets(values: Iterable<string | null | undefined>): void {
  for (const value of values) if (value && value.length >= 6) knownSecrets.add(value);
}

/** The password of a URL (`redis://:pw@host`), or undefined. */
export function urlPassword(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const password = new URL(url).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

const URL_WITH_PARTS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'<>\\@]*@)?([^\s/?#"'<>\\]*)([^\s?#"'<>\\]*)(\?[^\s#"'<>\\]*)?/gi;
const BEARER = /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{6,}/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g;
const SECRET_NAMES = 'api[_-]?key|apikey|access[_-]?token|refresh[_-]?token|auth[_-]?token|token|secret|client[_-]?secret|password|passwd|authorization|x-amz-signature|x-amz-credential|x-amz-security-token';
/** `"token": "…"` (JSON) and `token=…` (query strings, forms, headers in text). */
const JSON_SECRET = new RegExp(`("(?:${SECRET_NAMES})"\\s*:\\s*")([^"]*)"`, 'gi');
const PARAM_SECRET = new RegExp(`\\b(${SECRET_NAMES})=([^\\s&"'<>]+)`, 'gi');

/**
 * Text made safe to store, print or serve: URLs lose their credentials (`user:pass@` → `***@`) and
 * query strings (`?…` → `?[redacted]`), bearer tokens, JWTs, `token=…` / `"token": "…"` secrets
 * and every remembered secret value are replaced by `[redacted]`.
 */
export function redactSecrets(text: string): string {
  let out = text;
  for (const secret of knownSecrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  out = out.replace(URL_WITH_PARTS, (_all, scheme: string, userinfo: string | undefined, host: string, rest: string, query: string | undefined) => {
    // Punctuation after a URL ("…?a=b: 404") is the sentence's, not the query's.
    const after = query ? (/[.,:;)\]]+$/.exec(query)?.[0] ?? '') : '';
    return `${scheme}${userinfo ? '***@' : ''}${host}${rest}${query ? `?${REDACTED}${after}` : ''}`;
  });
  out = out.replace(BEARER, (_all, scheme: string) => `${scheme} ${REDACTED}`);
  out = out.replace(JWT, REDACTED);
  out = out.replace(JSON_SECRET, `$1${REDACTED}"`);
  out = out.replace(PARAM_SECRET, `$1=${REDACTED}`);
  return out;
}

// C0 controls but tab and newline, DEL, C1 controls, lone surrogates: PostgreSQL refuses NUL, the rest garble terminals.
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Control characters (NUL first: PostgreSQL cannot store it) written as `\u0000`, so any text can be stored and printed. */
export function escapeControls(text: string): string {
  return text.replace(UNSTORABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Text from an input or a peer as MovieC stores, prints and serves it (run errors, rejected rows'
 * reasons, references and excerpts): secrets redacted, control characters escaped, at most `max`
 * characters.
 */
export function storableText(text: string, max = 2000): string {
  const safe = escapeControls(redactSecrets(text));
  return safe.length > max ? `${safe.slice(0, max)}…` : safe;
}
