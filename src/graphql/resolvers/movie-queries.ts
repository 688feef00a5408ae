import 'reflect-metadata';
import { Arg, Args, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../context.js';
import { isUuid, type MovieRecord } from '../data/records.js';
import { pageComplexity, type MovieConnectionRecord } from '../pagination.js';
import { listMovies, searchMovies } from '../services/movie-lists.js';
import { MovieByExternalIdArgs, MoviesArgs, SearchMoviesArgs } from '../types/arguments.js';
import { MovieConnection } from '../types/connection.js';
import { Movie } from '../types/movie.js';

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
    @Ctx() { loaders }: GraphQLContext,
  ): Promise<MovieRecord | null> {
    const id = await loaders.movieIdByExternalId(provider, externalId.trim());
    return id ? loaders.movie.load(id) : null;
  }

  @Query(() => MovieConnection, { description: 'Movies, filtered and ordered, one page at a time.', complexity: pageComplexity })
  async movies(@Args(() => MoviesArgs) args: MoviesArgs, @Ctx() context: GraphQLContext): Promise<MovieConnectionRecord> {
    return primed(context, await listMovies(context, args));
  }

  @Query(() => MovieConnection, {
    description:
      'Movies by title, typo- and accent-tolerant, across every provider\'s titles: best match first, then highest c-rating.',
    complexity: pageComplexity,
  })
  async searchMovies(@Args(() => SearchMoviesArgs) args: SearchMoviesArgs, @Ctx() context: GraphQLContext): Promise<MovieConnectionRecord> {
    return primed(context, await searchMovies(context, args));
  }
}

/** The page's movies are known now: later lookups of them in this request need no cache or database. */
function primed({ loaders }: GraphQLContext, connection: MovieConnectionRecord): MovieConnectionRecord {
  for (const { node } of connection.edges) loaders.movie.prime(node.id, node);
  return connection;
}
