import 'reflect-metadata';
import { Kind, type GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, ID, Info, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../context.js';
import { isUuid, type MovieRecord } from '../../db/records.js';
import { FIELD_COSTS, pageComplexity, type MovieConnectionRecord } from '../pagination.js';
import { listMovies, searchMovies, suggestMovies, type ListDependencies } from '../../services/movies.js';
import { MovieByExternalIdArgs, MoviesArgs, SearchMoviesArgs, SuggestMoviesArgs } from '../types/arguments.js';
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

  @Query(() => MovieConnection, { description: 'Movies, filtered and ordered, one page at a time.', complexity: pageComplexity(FIELD_COSTS.moviesPage) })
  async movies(@Args(() => MoviesArgs) args: MoviesArgs, @Ctx() context: GraphQLContext): Promise<MovieConnectionRecord> {
    return primed(context, await listMovies(catalogueReads(context), args));
  }

  @Query(() => MovieConnection, {
    description:
      "Movies by title across every provider's titles, tolerant of typos (1 edit in words of 4-7 letters, 2 beyond), " +
      'accents, spacing and punctuation, British/American spelling and number forms, the last word completed as typed. ' +
      'Exact titles first, then by popularity (votes across providers) and c-rating, closer spellings first among equals; ' +
      'a year in the query or the `year` argument puts that year first.',
    complexity: pageComplexity(FIELD_COSTS.searchPage),
  })
  async searchMovies(@Args(() => SearchMoviesArgs) args: SearchMoviesArgs, @Ctx() context: GraphQLContext): Promise<MovieConnectionRecord> {
    return primed(context, await searchMovies(catalogueReads(context), args));
  }

  @Query(() => [Movie], {
    description: 'Autocomplete: the most popular movies whose titles match what has been typed so far.',
    complexity: ({ args, childComplexity }) =>
      FIELD_COSTS.suggest + childComplexity * (typeof args.first === 'number' ? Math.min(Math.max(Math.trunc(args.first), 1), 20) : 10),
  })
  async suggestMovies(
    @Args(() => SuggestMoviesArgs) args: SuggestMoviesArgs,
    @Ctx() context: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Partial<MovieRecord>[]> {
    const suggestions = await suggestMovies(catalogueReads(context), args);
    if (asksOnly(info, SUGGESTION_FIELDS)) return suggestions;
    // More than a suggestion holds: the movies themselves, through the request's loader (and cache).
    const movies = await context.loaders.movie.loadMany(suggestions.map((s) => s.id));
    const failed = movies.find((m) => m instanceof Error);
    if (failed) throw failed;
    // A movie deleted since the suggestion was computed is left out.
    return movies.filter((m): m is MovieRecord => m !== null && !(m instanceof Error));
  }
}

/** What a suggestion holds of a movie. */
const SUGGESTION_FIELDS = new Set(['id', 'title', 'year', '__typename']);

/** Whether the field's selection is only plain fields among these (no fragments). */
function asksOnly(info: GraphQLResolveInfo, fields: Set<string>): boolean {
  return info.fieldNodes.every((node) =>
    (node.selectionSet?.selections ?? []).every((selection) => selection.kind === Kind.FIELD && fields.has(selection.name.value)),
  );
}

/** Lists and searches read the catalogue through the read pool (a replica when DATABASE_READ_URL is set). */
function catalogueReads({ readPool, cache }: GraphQLContext): ListDependencies {
  return { pool: readPool, cache };
}

/** The page's movies are known now: later lookups of them in this request need no cache or database. */
function primed({ loaders }: GraphQLContext, connection: MovieConnectionRecord): MovieConnectionRecord {
  for (const { node } of connection.edges) loaders.movie.prime(node.id, node);
  return connection;
}
