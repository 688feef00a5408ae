import 'reflect-metadata';
import { Arg, Args, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../context.js';
import { decodeCursor } from '../cursor.js';
import { movieByExternalId } from '../data/movie-details.js';
import {
  countMovies,
  fetchPage,
  filterConditions,
  keyTypes,
  MOVIE_ORDERINGS,
  SqlParams,
  type MovieSelection,
  type Ordering,
} from '../data/movie-list.js';
import { isUuid, type MovieRecord } from '../data/records.js';
import { searchSelection, SEARCH_ORDERING } from '../data/search.js';
import { badUserInput } from '../errors.js';
import { toConnection, validateFirst, type MovieConnectionRecord } from '../pagination.js';
import { MovieByExternalIdArgs, MoviesArgs, SearchMoviesArgs } from '../types/arguments.js';
import { MovieConnection } from '../types/connection.js';
import { Movie } from '../types/movie.js';
import { MovieOrder, type MovieFilter } from '../types/movie-filter.js';

const MAX_GENRES = 50;
const MAX_QUERY_LENGTH = 200;

@Resolver()
export class MovieQueries {
  @Query(() => Movie, { nullable: true, description: 'A movie by its MovieC id; null when there is none.' })
  async movie(
    @Arg('id', () => ID, { description: 'MovieC movie id (UUID).' }) id: string,
    @Ctx() { loaders }: GraphQLContext,
  ): Promise<MovieRecord | null> {
    if (!isUuid(id)) return null;
    return loaders.movie.load(id.toLowerCase());
  }

  @Query(() => Movie, { nullable: true, description: "A movie by a provider's id for it, e.g. (IMDB, \"tt0111161\")." })
  async movieByExternalId(
    @Args(() => MovieByExternalIdArgs) { provider, externalId }: MovieByExternalIdArgs,
    @Ctx() { pool }: GraphQLContext,
  ): Promise<MovieRecord | null> {
    return movieByExternalId(pool, provider, externalId.trim());
  }

  @Query(() => MovieConnection, { description: 'Movies, filtered and ordered, one page at a time.' })
  async movies(
    @Args(() => MoviesArgs) { filter, orderBy, first, after }: MoviesArgs,
    @Ctx() { pool }: GraphQLContext,
  ): Promise<MovieConnectionRecord> {
    const params = new SqlParams();
    const selection: MovieSelection = { from: 'movies m', conditions: filterConditions(checkFilter(filter), params), params };
    return page(pool, selection, MOVIE_ORDERINGS[orderBy ?? MovieOrder.SCORE_DESC], first, after);
  }

  @Query(() => MovieConnection, { description: 'Movies whose titles (in any provider) contain the query, best matches first.' })
  async searchMovies(
    @Args(() => SearchMoviesArgs) { query, genres, first, after }: SearchMoviesArgs,
    @Ctx() { pool }: GraphQLContext,
  ): Promise<MovieConnectionRecord> {
    const text = query.trim();
    if (!text || text.length > MAX_QUERY_LENGTH) {
      throw badUserInput(`query must be 1 to ${MAX_QUERY_LENGTH} characters`, 'query');
    }
    return page(pool, searchSelection(text, checkGenres(genres)), SEARCH_ORDERING, first, after);
  }
}

async function page(
  pool: GraphQLContext['pool'],
  selection: MovieSelection,
  ordering: Ordering,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<MovieConnectionRecord> {
  const size = validateFirst(first ?? 20);
  const cursor = after == null ? null : decodeCursor(after, ordering.name, keyTypes(ordering));
  const result = await fetchPage(pool, selection, ordering, cursor, size);
  return toConnection(result, () => countMovies(pool, selection));
}

function checkFilter(filter: MovieFilter | null | undefined): MovieFilter | null {
  if (!filter) return null;
  if (filter.yearFrom != null && filter.yearTo != null && filter.yearFrom > filter.yearTo) {
    throw badUserInput('filter.yearFrom must not be after filter.yearTo', 'filter');
  }
  return { ...filter, genres: checkGenres(filter.genres) };
}

function checkGenres(genres: string[] | null | undefined): string[] | null {
  if (!genres) return null;
  if (genres.length > MAX_GENRES) throw badUserInput(`at most ${MAX_GENRES} genres`, 'genres');
  return genres.map((g) => g.trim()).filter(Boolean);
}
