import { z } from 'zod';
import { type TmdbClient } from './tmdb-client.js';
import { describeIssues } from './tmdb-movie.js';
import { SourceError, TmdbError } from '../errors.js';

/** TMDB serves at most this many pages of any list. */
export const TMDB_MAX_PAGES = 500;

/** The longest date range /3/movie/changes accepts in one query. */
const CHANGES_WINDOW_DAYS = 14;

const listPage = z.looseObject({
  page: z.number().int(),
  total_pages: z.number().int().min(0),
  results: z.array(z.looseObject({ id: z.number().int().positive() })),
});

/** Ids of the most popular movies, page by page, up to maxPages (the initial load). */
export function discoverIds(client: TmdbClient, maxPages: number): AsyncGenerator<number> {
  return pagedIds(client, '3/discover/movie', { sort_by: 'popularity.desc' }, Math.min(maxPages, TMDB_MAX_PAGES));
}

/** Ids of the movies changed from `start` to `end` (YYYY-MM-DD), window by window; ids may repeat. */
export async function* changedIds(client: TmdbClient, start: string, end: string): AsyncGenerator<number> {
  for (const window of changeWindows(start, end)) {
    yield* pagedIds(client, '3/movie/changes', { start_date: window.start, end_date: window.end }, Infinity);
  }
}

/**
 * Splits [start, end] into windows TMDB accepts: at most 14 calendar days each, the next one
 * starting on the day the previous one ends, so that no change is lost whether TMDB treats
 * end_date as inclusive or not. An empty list when start is after end.
 */
export function changeWindows(start: string, end: string): { start: string; end: string }[] {
  const windows: { start: string; end: string }[] = [];
  let from = start;
  while (from <= end) {
    const last = addDays(from, CHANGES_WINDOW_DAYS - 1);
    const to = last < end ? last : end;
    windows.push({ start: from, end: to });
    if (to === end) break;
    from = to;
  }
  return windows;
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** A list page that cannot be read fails the run: without it, the run would silently miss movies. */
async function* pagedIds(
  client: TmdbClient,
  path: string,
  query: Record<string, string>,
  maxPages: number,
): AsyncGenerator<number> {
  for (let page = 1; page <= maxPages; page++) {
    const where = `TMDB /${path}?${new URLSearchParams({ ...query, page: String(page) }).toString()}`;
    let document: unknown;
    try {
      document = await client.getJson(path, { ...query, page });
    } catch (error) {
      if (error instanceof TmdbError) throw new SourceError(`${where}: ${error.message}`);
      throw error;
    }
    const parsed = listPage.safeParse(document);
    if (!parsed.success) throw new SourceError(`${where}: unexpected list page: ${describeIssues(parsed.error)}`);
    for (const item of parsed.data.results) yield item.id;
    if (page >= parsed.data.total_pages) return;
  }
}
