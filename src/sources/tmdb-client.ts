import got, { HTTPError, RequestError, type Got, type RetryObject } from 'got';
import { SourceError, TmdbError } from '../errors.js';

export interface TmdbClientOptions {
  /** e.g. https://api.themoviedb.org; may carry a path prefix. */
  baseUrl: string;
  /** TMDB API Read Access Token (v4 auth), sent as a bearer token. */
  token: string;
  /** Time limit of one attempt. */
  timeoutMs: number;
  /** Attempts after the first, for 429, 5xx, timeouts and network errors. */
  retries: number;
  /** First backoff delay when no Retry-After is given; doubles with every retry. */
  retryDelayMs: number;
  /** Longest Retry-After waited for; a longer one fails the request at once. */
  maxRetryAfterMs: number;
  signal?: AbortSignal;
}

export interface TmdbClient {
  /** GETs a path under the base URL (e.g. `3/movie/550`) and returns the parsed JSON document. */
  getJson(path: string, query?: Record<string, string | number>): Promise<unknown>;
}

const RETRY_STATUS_CODES = [408, 429, 500, 502, 503, 504, 520, 521, 522, 524];
const MAX_BACKOFF_MS = 60_000;

export function createTmdbClient(options: TmdbClientOptions): TmdbClient {
  const http: Got = got.extend({
    prefixUrl: options.baseUrl,
    headers: { authorization: `Bearer ${options.token}`, accept: 'application/json' },
    timeout: { request: options.timeoutMs },
    responseType: 'text',
    signal: options.signal,
    retry: {
      limit: options.retries,
      methods: ['GET'],
      statusCodes: RETRY_STATUS_CODES,
      maxRetryAfter: options.maxRetryAfterMs,
      calculateDelay: (retry) => retryDelay(retry, options.retryDelayMs),
    },
  });

  return {
    async getJson(path, query) {
      let body: string;
      try {
        body = await http.get(path, { searchParams: query }).text();
      } catch (error) {
        throw describeFailure(error, options.signal, options.token);
      }
      try {
        return JSON.parse(body) as unknown;
      } catch (error) {
        throw new TmdbError(`TMDB sent malformed JSON (${(error as Error).message})`, 200, excerpt(body, options.token));
      }
    },
  };
}

/**
 * Got's own computation (`computedValue`) already says whether to retry at all: 0 for a status or
 * error that is not retried, for the last attempt, or for a Retry-After beyond maxRetryAfter.
 * When it does retry, Retry-After (seconds or HTTP date, parsed by got) wins over the backoff.
 */
export function retryDelay({ attemptCount, computedValue, retryAfter }: RetryObject, baseDelayMs: number): number {
  if (computedValue === 0) return 0;
  if (retryAfter !== undefined && Number.isFinite(retryAfter)) return Math.max(retryAfter, 1);
  return Math.max(Math.min(baseDelayMs * 2 ** (attemptCount - 1), MAX_BACKOFF_MS), 1);
}

function describeFailure(error: unknown, signal: AbortSignal | undefined, token: string): Error {
  if (signal?.aborted || !(error instanceof RequestError)) return error as Error;
  const attempts = (error.request?.retryCount ?? 0) + 1;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  if (error instanceof HTTPError) {
    const status = error.response.statusCode;
    if (status === 401) return new SourceError('TMDB rejected the token (401): check TMDB_API_TOKEN');
    if (status === 404) return new TmdbError('not found on TMDB', 404);
    const body = typeof error.response.body === 'string' ? error.response.body : '';
    return new TmdbError(
      `TMDB answered ${status} ${error.response.statusMessage ?? ''}`.trimEnd() + tries,
      status,
      body ? excerpt(body, token) : undefined,
    );
  }
  if (error.code === 'ETIMEDOUT') return new TmdbError(`TMDB did not answer in time${tries}`, null);
  return new TmdbError(`Cannot reach TMDB: ${error.message}${tries}`, null);
}

/** The start of a body for the error report; a peer that echoes our token does not get it stored. */
function excerpt(text: string, token: string): string {
  const safe = token ? text.split(token).join('[redacted]') : text;
  return safe.length > 200 ? `${safe.slice(0, 200)}…` : safe;
}
