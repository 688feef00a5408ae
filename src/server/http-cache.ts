import type { IncomingHttpHeaders } from 'node:http';
import type { Response } from 'express';

/**
 * HTTP caching of answers (REST GET /movies/..., GraphQL GET and POST queries): who may keep an
 * answer and for how long. The catalogue is the same for everyone, so an anonymous answer is
 * `public` (a CDN may share it); one given to a request with credentials (a partner key or the
 * admin token) is `private`, so that a shared cache never hands a keyed or admin answer to someone
 * without the key; an answer that depends on who asks, or that holds data without a cache hint,
 * is `no-store`. Express adds the ETag and answers `304 Not Modified` to a matching If-None-Match.
 */

export type CacheScope = 'public' | 'private' | 'no-store';

/** Whether the request carries credentials (a partner key or a bearer token). */
export function hasCredentials(headers: IncomingHttpHeaders): boolean {
  return headers.authorization !== undefined || headers['x-api-key'] !== undefined;
}

/** The Cache-Control value of an answer of this scope. */
export function cacheControlValue(scope: CacheScope, maxAgeSeconds: number): string {
  if (scope === 'no-store' || maxAgeSeconds <= 0) return 'no-store';
  return `${scope}, max-age=${maxAgeSeconds}`;
}

/** Sets Cache-Control (and Vary, since the scope depends on the credentials) on a cacheable answer. */
export function setCacheHeaders(res: Response, headers: IncomingHttpHeaders, maxAgeSeconds: number): void {
  const scope: CacheScope = hasCredentials(headers) ? 'private' : 'public';
  res.setHeader('Cache-Control', cacheControlValue(scope, maxAgeSeconds));
  res.setHeader('Vary', 'Authorization, X-Api-Key');
}
