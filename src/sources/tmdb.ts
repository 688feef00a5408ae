import { mapConcurrent, unique } from './concurrent.js';
import { createTmdbClient, type TmdbClient } from './tmdb-client.js';
import { tmdbFacts } from './tmdb-definition.js';
import { changedIds, discoverIds, TMDB_MAX_PAGES } from './tmdb-listing.js';
import { isCalendarDate, parseMovie } from './tmdb-movie.js';
import { type ProviderConfig, type ReadContext, type SourceAdapter, type SourceItem, type SourceLocation } from './types.js';
import { SourceError, TmdbError } from '../errors.js';

/** Import options; all but ids, since and maxPages are tuning knobs (tests make the delays tiny). */
export interface TmdbOptions {
  ids: number[] | null;
  since: string | null;
  maxPages: number;
  concurrency: number;
  retries: number;
  retryDelayMs: number;
  timeoutMs: number;
  maxRetryAfterMs: number;
}

export type TmdbPlan =
  | { mode: 'ids'; ids: number[] }
  | { mode: 'changes'; start: string; end: string }
  | { mode: 'discover'; maxPages: number };

const DEFAULTS = {
  maxPages: 5,
  concurrency: 8,
  retries: 4,
  retryDelayMs: 1000,
  timeoutMs: 30_000,
  maxRetryAfterMs: 120_000,
};

/**
 * TMDB API v3. Which movies a run reads:
 * - `ids` given: those;
 * - else `since` given, or an earlier successful run: the movies changed since then
 *   (/3/movie/changes), so each run resumes where the last successful one started;
 * - else (initial load): the most popular movies (/3/discover/movie), `maxPages` pages of 20.
 * Each movie's details come with its IMDb id (append_to_response=external_ids), `concurrency` at a time.
 */
export const tmdbAdapter: SourceAdapter = {
  ...tmdbFacts,
  checkLocation(location) {
    parseTmdbLocation(location);
  },
  async *read(location: SourceLocation, context: ReadContext): AsyncGenerator<SourceItem> {
    const options = parseTmdbLocation(location);
    const { token, baseUrl } = tmdbCredentials(context.config);
    const abort = new AbortController();
    const signal = context.signal ? AbortSignal.any([abort.signal, context.signal]) : abort.signal;
    const client = createTmdbClient({ ...options, token, baseUrl, signal });
    try {
      const ids = unique(movieIds(client, planRun(options, context.previousRun?.startedAt ?? null, new Date())));
      let done = 0;
      for await (const item of mapConcurrent(ids, options.concurrency, (id) => readMovie(client, id))) {
        context.onProgress?.(++done, null);
        yield item;
      }
    } finally {
      // Requests still in flight when the run stops early (an error, a 401) are not needed any more.
      abort.abort();
    }
  },
};

export function planRun(options: TmdbOptions, previousStart: Date | null, now: Date): TmdbPlan {
  if (options.ids) return { mode: 'ids', ids: options.ids };
  const start = options.since ?? (previousStart ? utcDate(new Date(previousStart)) : null);
  if (start) return { mode: 'changes', start, end: utcDate(now) };
  return { mode: 'discover', maxPages: options.maxPages };
}

function movieIds(client: TmdbClient, plan: TmdbPlan): AsyncIterable<number> | Iterable<number> {
  switch (plan.mode) {
    case 'ids':
      return plan.ids;
    case 'changes':
      return changedIds(client, plan.start, plan.end);
    case 'discover':
      return discoverIds(client, plan.maxPages);
  }
}

/** One movie as a record, or a reject when TMDB does not have it or keeps failing; the run goes on. */
async function readMovie(client: TmdbClient, id: number): Promise<SourceItem> {
  try {
    const document = await client.getJson(`3/movie/${id}`, { append_to_response: 'external_ids,credits' });
    return parseMovie(document, id);
  } catch (error) {
    if (error instanceof TmdbError) return { type: 'reject', reference: String(id), reason: error.message, excerpt: error.excerpt };
    throw error;
  }
}

const DEFAULT_BASE_URL = 'https://api.themoviedb.org';

/** The TMDB token and base URL from the configuration; a SourceError saying what to set when missing. */
export function tmdbCredentials(config: ProviderConfig | undefined): { token: string; baseUrl: string } {
  const token = config?.TMDB_API_TOKEN;
  if (typeof token !== 'string' || !token) throw new SourceError('TMDB import needs TMDB_API_TOKEN');
  const baseUrl = config?.TMDB_BASE_URL;
  return { token, baseUrl: typeof baseUrl === 'string' && baseUrl ? baseUrl : DEFAULT_BASE_URL };
}

/** The options of a TMDB import (strings, as the CLI and the API give them); throws a SourceError naming the bad one. */
export function parseTmdbLocation(location: SourceLocation): TmdbOptions {
  const text = (key: string): string | null => {
    const value = location[key];
    const joined = Array.isArray(value) ? value.join(',') : value;
    return joined === undefined || joined === null || String(joined).trim() === '' ? null : String(joined).trim();
  };
  const whole = (key: keyof typeof DEFAULTS, flag: string, min: number, max: number): number => {
    const value = text(key);
    if (value === null) return DEFAULTS[key];
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      throw new SourceError(`TMDB ${flag} must be a whole number from ${min} to ${max}, found "${value}"`);
    }
    return n;
  };

  const idsText = text('ids');
  let ids: number[] | null = null;
  if (idsText !== null) {
    const parts = idsText.split(',').map((p) => p.trim()).filter(Boolean);
    const bad = parts.find((p) => !/^[1-9]\d{0,9}$/.test(p));
    if (bad !== undefined || parts.length === 0) {
      throw new SourceError(`TMDB --ids must be TMDB movie ids separated by commas (e.g. 550,603), found "${bad ?? idsText}"`);
    }
    ids = [...new Set(parts.map(Number))];
  }

  const since = text('since');
  if (since !== null) {
    if (!isCalendarDate(since)) throw new SourceError(`TMDB --since must be a date YYYY-MM-DD, found "${since}"`);
    if (since > utcDate(new Date())) throw new SourceError(`TMDB --since ${since} is in the future`);
  }

  return {
    ids,
    since,
    maxPages: whole('maxPages', '--max-pages', 1, TMDB_MAX_PAGES),
    concurrency: whole('concurrency', 'concurrency', 1, 64),
    retries: whole('retries', 'retries', 0, 10),
    retryDelayMs: whole('retryDelayMs', 'retryDelayMs', 0, 600_000),
    timeoutMs: whole('timeoutMs', 'timeoutMs', 1, 600_000),
    maxRetryAfterMs: whole('maxRetryAfterMs', 'maxRetryAfterMs', 0, 3_600_000),
  };
}

function utcDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}
