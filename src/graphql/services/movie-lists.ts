import type pg from 'pg';
import type { MovieCache } from '../../cache/movie-cache.js';
import { normalizeTitle } from '../../matching/normalize-title.js';
import { decodeCursor } from '../cursor.js';
import {
  countMovies,
  fetchPage,
  filterConditions,
  keyTypes,
  MOVIE_ORDERINGS,
  SqlParams,
  type MovieFilterValues,
  type MovieOrderName,
  type MovieSelection,
  type Ordering,
} from '../data/movie-list.js';
import { searchSelection, SEARCH_ORDERING } from '../data/search.js';
import { resolveGenreNames } from '../../services/genre-names.js';
import { badUserInput } from '../errors.js';
import { toConnection, validateFirst, type MovieConnectionRecord } from '../pagination.js';

/**
 * Movie lists and title search, for GraphQL (movies, searchMovies) and REST (/movies/search)
 * alike: validated arguments in, a page of movies out, both the page and its total count cached
 * until any movie changes.
 */

export interface ListDependencies {
  pool: pg.Pool;
  cache: MovieCache;
}

export interface PageArguments {
  first?: number | null;
  after?: string | null;
}

export interface ListArguments extends PageArguments {
  filter?: MovieFilterValues | null;
  orderBy?: MovieOrderName | null;
}

export interface SearchArguments extends PageArguments {
  query: string;
  genres?: string[] | null;
  filter?: MovieFilterValues | null;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_QUERY_LENGTH = 200;
const MAX_GENRES = 50;

export async function listMovies(deps: ListDependencies, args: ListArguments): Promise<MovieConnectionRecord> {
  const filter = await checkFilter(deps.pool, args.filter);
  const orderBy = args.orderBy ?? 'SCORE_DESC';
  const params = new SqlParams();
  const selection: MovieSelection = { from: 'movies m', conditions: filterConditions(filter, params), params };
  return cachedPage(deps, 'movies', { filter, orderBy }, selection, MOVIE_ORDERINGS[orderBy], args);
}

export async function searchMovies(deps: ListDependencies, args: SearchArguments): Promise<MovieConnectionRecord> {
  const text = args.query.trim();
  if (!text || text.length > MAX_QUERY_LENGTH) {
    throw badUserInput(`query must be 1 to ${MAX_QUERY_LENGTH} characters`, 'query');
  }
  const genres = checkGenres(args.genres, 'genres');
  const filter = await checkFilter(deps.pool, { ...args.filter, ...(genres ? { genres } : {}) }, genres ? 'genres' : 'filter');
  const query = normalizeTitle(text);
  // Only punctuation: nothing a title could match.
  if (!query) {
    validateFirst(args.first ?? DEFAULT_PAGE_SIZE);
    return toConnection({ rows: [], hasNextPage: false }, () => Promise.resolve(0));
  }
  return cachedPage(deps, 'search', { query, filter }, searchSelection(query, filter), SEARCH_ORDERING, args);
}

async function cachedPage(
  { pool, cache }: ListDependencies,
  kind: string,
  key: unknown,
  selection: MovieSelection,
  ordering: Ordering,
  { first, after }: PageArguments,
): Promise<MovieConnectionRecord> {
  const size = validateFirst(first ?? DEFAULT_PAGE_SIZE);
  const cursor = after == null ? null : decodeCursor(after, ordering.name, keyTypes(ordering));
  const page = await cache.shared(`${kind}-page`, [key, size, after ?? null], () => fetchPage(pool, selection, ordering, cursor, size));
  return toConnection(page, () => cache.shared(`${kind}-count`, key, () => countMovies(pool, selection)));
}

async function checkFilter(pool: pg.Pool, filter: MovieFilterValues | null | undefined, genresArgument = 'filter'): Promise<MovieFilterValues | null> {
  if (!filter) return null;
  const { yearFrom, yearTo, minScore, minVotes } = filter;
  if (yearFrom != null && yearTo != null && yearFrom > yearTo) {
    throw badUserInput('filter.yearFrom must not be after filter.yearTo', 'filter');
  }
  if (minScore != null && !(minScore >= 0 && minScore <= 100)) {
    throw badUserInput(`filter.minScore is a c-rating between 0 and 100, got ${minScore}`, 'filter');
  }
  if (minVotes != null && minVotes < 0) throw badUserInput(`filter.minVotes must not be negative, got ${minVotes}`, 'filter');
  const genres = checkGenres(filter.genres, 'filter');
  return {
    genres,
    genreIds: await resolveGenreNames(pool, genres, genresArgument),
    yearFrom: yearFrom ?? null,
    yearTo: yearTo ?? null,
    minScore: minScore ?? null,
    minVotes: minVotes ?? null,
  };
}

function checkGenres(genres: string[] | null | undefined, argumentName: string): string[] | null {
  if (!genres) return null;
  if (genres.length > MAX_GENRES) throw badUserInput(`at most ${MAX_GENRES} genres`, argumentName);
  const names = [...new Set(genres.map((g) => g.trim()).filter(Boolean))];
  return names.length ? names : null;
}
