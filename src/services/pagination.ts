import type { Page } from '../db/movie-list.js';
import type { MovieRecord } from '../db/records.js';
import type { FacetCounts } from '../db/search.js';
import { BadInputError } from '../errors.js';
import { encodeCursor } from './cursor.js';

export const MAX_PAGE_SIZE = 100;

/** `first` of every list: 1..100, BAD_USER_INPUT otherwise. */
export function validateFirst(first: number, argumentName = 'first'): number {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new BadInputError(`${argumentName} must be between 1 and ${MAX_PAGE_SIZE}, got ${first}`, argumentName);
  }
  return first;
}

/** The root value of a MovieConnection; totalCount is only counted when a client asks for it. */
export interface MovieConnectionRecord {
  edges: { cursor: string; node: MovieRecord }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  count(): Promise<number>;
  /** Counts per genre, decade and provider over every movie of the list (all pages); only when asked for. */
  facets(): Promise<FacetCounts>;
}

export function toConnection(page: Page, count: () => Promise<number>, facets: () => Promise<FacetCounts>): MovieConnectionRecord {
  const edges = page.rows.map((row) => ({ cursor: encodeCursor(row.cursor), node: row.movie }));
  return {
    edges,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
    count,
    facets,
  };
}
