import type pg from 'pg';
import type { MovieCache } from '../cache/movie-cache.js';
import type { ScoreProfileName } from '../scoring/types.js';
import { decodeCursor } from './cursor.js';
import {
  countMovies,
  fetchPage,
  filterConditions,
  keyTypes,
  orderingFor,
  SqlParams,
  type MovieFilterValues,
  type MovieOrderName,
  type MovieSelection,
  type Ordering,
} from '../db/movie-list.js';
import { moviesByIds } from '../db/movies.js';
import { countMatches, facetCounts, type FacetCounts, type MatchSpec } from '../db/search.js';
import { resolveGenreNames } from './genre-names.js';
import { compareRanked, matchSpec, rankedSearch, suggestMovies as suggestFromIndex, type RankedMovie, type Suggestion } from './search.js';
import { searchWords } from './search-text.js';
import { BadInputError } from '../errors.js';
import { GENRE_CONFIDENCE_THRESHOLD } from '../scoring/rules.js';
import { toConnection, validateFirst, type MovieConnectionRecord } from './pagination.js';

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
  /** Whose c-rating SCORE_DESC and minScore mean (BALANCED when absent). */
  profile?: ScoreProfileName | null;
}

export interface SearchArguments extends PageArguments {
  query: string;
  genres?: string[] | null;
  filter?: MovieFilterValues | null;
  /** A year to prefer (as if the query ended with it). */
  year?: number | null;
}

export interface SuggestArguments {
  prefix: string;
  first?: number | null;
}

export const DEFAULT_PAGE_SIZE = 20;
/** The most popular matches a search ranks (plus whole-title and year matches); pages end there. */
export const SEARCH_CANDIDATES = 100;
/** The most popular matches autocomplete ranks. */
export const SUGGEST_CANDIDATES = 40;
export const DEFAULT_SUGGESTIONS = 10;
const MAX_SUGGESTIONS = 20;
const RELEVANCE = 'RELEVANCE';
export const MAX_QUERY_LENGTH = 200;
const MAX_GENRES = 50;

export async function listMovies(deps: ListDependencies, args: ListArguments): Promise<MovieConnectionRecord> {
  const profile = args.profile ?? 'BALANCED';
  const filter = await checkFilter(deps.pool, args.filter, 'filter', profile);
  const orderBy = args.orderBy ?? 'SCORE_DESC';
  const params = new SqlParams();
  const selection: MovieSelection = { from: 'movies m', conditions: filterConditions(filter, params, GENRE_CONFIDENCE_THRESHOLD), params };
  const facets = () => deps.cache.shared('movies-facets', filter, () => facetCounts(deps.pool, null, filter));
  return cachedPage(deps, 'movies', { filter, orderBy, profile }, selection, orderingFor(orderBy, profile), args, facets);
}

export async function searchMovies(deps: ListDependencies, args: SearchArguments): Promise<MovieConnectionRecord> {
  const text = args.query.trim();
  if (!text || text.length > MAX_QUERY_LENGTH) {
    throw new BadInputError(`query must be 1 to ${MAX_QUERY_LENGTH} characters`, 'query');
  }
  const genres = checkGenres(args.genres, 'genres');
  const filter = await checkFilter(deps.pool, { ...args.filter, ...(genres ? { genres } : {}) }, genres ? 'genres' : 'filter');
  if (args.year != null && !(Number.isInteger(args.year) && args.year >= 1800 && args.year <= 2200)) {
    throw new BadInputError(`year must be a year between 1800 and 2200, got ${args.year}`, 'year');
  }
  const size = validateFirst(args.first ?? DEFAULT_PAGE_SIZE);
  const cursor = args.after == null ? null : decodeCursor(args.after, RELEVANCE, ['number', 'number', 'number']);
  const words = searchWords(text);
  // Only punctuation: nothing a title could match.
  if (!words.length) return toConnection({ rows: [], hasNextPage: false }, () => Promise.resolve(0), emptyFacets);
  const key = { words, filter, year: args.year ?? null };
  const rank = (generation: string | null) => rankSearch(deps.pool, text, filter, args.year ?? null, SEARCH_CANDIDATES, generation);
  // The page and the ranking it comes from are read in one cache round trip (and written in one
  // when computed); a cached page needs no ranking. The ranking is read or computed at most once
  // per request: totalCount and facets reuse it.
  let ranking: Promise<{ ranked: RankedMovie[]; match: MatchSpec | null }> | undefined;
  const ranked = () => (ranking ??= deps.cache.shared('search-ranked', key, rank));
  const { base, value: page } = await deps.cache.sharedDerived(
    { kind: 'search-ranked', key, load: rank },
    {
      kind: 'search-page',
      key: [key, size, args.after ?? null],
      load: async ({ ranked: all }) => {
        const after = cursor ? all.filter((r) => compareRanked(r, { movieId: cursor.id, keys: cursor.keys as RankedMovie['keys'] }) > 0) : all;
        const pageRanks = after.slice(0, size);
        const movies = new Map((await moviesByIds(deps.pool, pageRanks.map((r) => r.movieId))).map((m) => [m.id, m]));
        const rows = pageRanks
          .filter((r) => movies.has(r.movieId))
          .map((r) => ({ movie: movies.get(r.movieId)!, cursor: { order: RELEVANCE, keys: r.keys, id: r.movieId } }));
        return { rows, hasNextPage: after.length > size };
      },
    },
  );
  if (base) ranking = Promise.resolve(base);
  return toConnection(
    page,
    // Without a word match only whole titles matched (ranked holds them all).
    async () => {
      const { match, ranked: all } = await ranked();
      return match ? deps.cache.shared('search-count', key, () => countMatches(deps.pool, match, filter)) : all.length;
    },
    async () => {
      const { match } = await ranked();
      return match ? deps.cache.shared('search-facets', key, () => facetCounts(deps.pool, match, filter)) : emptyFacets();
    },
  );
}

/** generation: the catalogue generation (MovieCache) the search runs under, for the in-process dictionary. */
async function rankSearch(
  pool: pg.Pool,
  text: string,
  filter: MovieFilterValues | null,
  year: number | null,
  limit: number,
  generation: string | null,
): Promise<{ ranked: RankedMovie[]; match: MatchSpec | null }> {
  const { plan, ranked } = await rankedSearch(pool, text, { filter, year, limit, prefix: true, generation });
  return { ranked, match: plan ? matchSpec(plan) : null };
}

const emptyFacets = (): Promise<FacetCounts> => Promise.resolve({ genres: [], decades: [], providers: [] });

/**
 * Autocomplete: the most popular movies whose titles match what has been typed (the last word
 * completed, typos tolerated), best first, as their id, title and year; cached per typed words
 * (normalised) until any movie changes.
 */
export async function suggestMovies(deps: ListDependencies, args: SuggestArguments): Promise<Suggestion[]> {
  const text = args.prefix.trim();
  if (!text || text.length > MAX_QUERY_LENGTH) throw new BadInputError(`prefix must be 1 to ${MAX_QUERY_LENGTH} characters`, 'prefix');
  const first = args.first ?? DEFAULT_SUGGESTIONS;
  if (!Number.isInteger(first) || first < 1 || first > MAX_SUGGESTIONS) {
    throw new BadInputError(`first must be between 1 and ${MAX_SUGGESTIONS}, got ${first}`, 'first');
  }
  const words = searchWords(text);
  if (!words.length) return [];
  return deps.cache.shared('suggestions', { words, first }, (generation) =>
    suggestFromIndex(deps.pool, text, { first, limit: SUGGEST_CANDIDATES, generation }),
  );
}

async function cachedPage(
  { pool, cache }: ListDependencies,
  kind: string,
  key: unknown,
  selection: MovieSelection,
  ordering: Ordering,
  { first, after }: PageArguments,
  facets: () => Promise<FacetCounts>,
): Promise<MovieConnectionRecord> {
  const size = validateFirst(first ?? DEFAULT_PAGE_SIZE);
  const cursor = after == null ? null : decodeCursor(after, ordering.name, keyTypes(ordering));
  const page = await cache.shared(`${kind}-page`, [key, size, after ?? null], () => fetchPage(pool, selection, ordering, cursor, size));
  return toConnection(page, () => cache.shared(`${kind}-count`, key, () => countMovies(pool, selection)), facets);
}

async function checkFilter(
  pool: pg.Pool,
  filter: MovieFilterValues | null | undefined,
  genresArgument = 'filter',
  profile: ScoreProfileName = 'BALANCED',
): Promise<MovieFilterValues | null> {
  if (!filter) return null;
  const { yearFrom, yearTo, minScore, minVotes } = filter;
  for (const [name, value] of [['yearFrom', yearFrom], ['yearTo', yearTo], ['minVotes', minVotes]] as const) {
    if (value != null && !isInt4(value)) throw new BadInputError(`filter.${name} must be a whole number that fits 32 bits, got ${value}`, 'filter');
  }
  if (yearFrom != null && yearTo != null && yearFrom > yearTo) {
    throw new BadInputError('filter.yearFrom must not be after filter.yearTo', 'filter');
  }
  if (minScore != null && !(minScore >= 0 && minScore <= 100)) {
    throw new BadInputError(`filter.minScore is a c-rating between 0 and 100, got ${minScore}`, 'filter');
  }
  if (minVotes != null && minVotes < 0) throw new BadInputError(`filter.minVotes must not be negative, got ${minVotes}`, 'filter');
  const genres = checkGenres(filter.genres, 'filter');
  return {
    genres,
    genreIds: await resolveGenreNames(pool, genres, genresArgument),
    yearFrom: yearFrom ?? null,
    yearTo: yearTo ?? null,
    minScore: minScore ?? null,
    minVotes: minVotes ?? null,
    // Only where it changes the statement, so BALANCED lists share their cache entries as before.
    ...(minScore != null && profile !== 'BALANCED' ? { profile } : {}),
  };
}

function isInt4(value: number): boolean {
  return Number.isInteger(value) && value >= -2_147_483_648 && value <= 2_147_483_647;
}

function checkGenres(genres: string[] | null | undefined, argumentName: string): string[] | null {
  if (!genres) return null;
  if (genres.length > MAX_GENRES) throw new BadInputError(`at most ${MAX_GENRES} genres`, argumentName);
  const names = [...new Set(genres.map((g) => g.trim()).filter(Boolean))];
  return names.length ? names : null;
}
