import 'reflect-metadata';
import { Arg, Args, Authorized, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../context.js';
import { isUuid, type ImportRunRecord, type MovieRecord } from '../../db/records.js';
import { NotFoundError } from '../../errors.js';
import { ProviderKey } from '../provider-key.js';
import { recomputeMovie, reimportMovie, reimportProvider, setFieldLock } from '../../services/admin.js';
import { parseLockValue } from '../types/locks.js';
import { LockMovieFieldArgs, UnlockMovieFieldArgs } from '../types/arguments.js';
import { ImportRun } from '../types/catalogue.js';
import { Movie } from '../types/movie.js';

/** Admin operations: every one needs `Authorization: Bearer $ADMIN_TOKEN` (see ../auth.ts). */
@Resolver()
export class AdminMutations {
  @Authorized()
  @Mutation(() => ImportRun, {
    description:
      "Queues an import of the provider from where its last successful import read (TMDB: the changes since then). Poll it with importRun(id).",
  })
  async reimportProvider(
    @Arg('provider', () => ProviderKey, { description: 'The provider to import again.' }) provider: ProviderKey,
    @Ctx() context: GraphQLContext,
  ): Promise<ImportRunRecord> {
    return reimportProvider(context, provider);
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description: 'Refetches one movie from every provider that can fetch a single movie (TMDB); false when none can.',
  })
  async reimportMovie(@Arg('id', () => ID, { description: 'MovieC movie id (UUID).' }) id: string, @Ctx() context: GraphQLContext): Promise<boolean> {
    return reimportMovie(context, movieIdOf(id));
  }

  @Authorized()
  @Mutation(() => Movie, {
    nullable: true,
    description: 'Recomputes the curated movie from its provider records now; null when no record is left and the movie was removed.',
  })
  async recomputeMovie(
    @Arg('id', () => ID, { description: 'MovieC movie id (UUID).' }) id: string,
    @Ctx() context: GraphQLContext,
  ): Promise<MovieRecord | null> {
    const movieId = movieIdOf(id);
    context.loaders.forget(movieId);
    return recomputeMovie(context, movieId);
  }

  @Authorized()
  @Mutation(() => Movie, { description: 'Locks a curated field to a value whatever providers say, and applies it at once.' })
  async lockMovieField(@Args(() => LockMovieFieldArgs) { id, field, value }: LockMovieFieldArgs, @Ctx() context: GraphQLContext): Promise<MovieRecord> {
    const movieId = movieIdOf(id);
    context.loaders.forget(movieId);
    return setFieldLock(context, movieId, field, parseLockValue(field, value));
  }

  @Authorized()
  @Mutation(() => Movie, { description: 'Removes a lock: the field takes the providers\' value again, at once.' })
  async unlockMovieField(@Args(() => UnlockMovieFieldArgs) { id, field }: UnlockMovieFieldArgs, @Ctx() context: GraphQLContext): Promise<MovieRecord> {
    const movieId = movieIdOf(id);
    context.loaders.forget(movieId);
    return setFieldLock(context, movieId, field, null);
  }
}

function movieIdOf(id: string): string {
  if (!isUuid(id)) throw new NotFoundError(`No movie with id ${id}`);
  return id.toLowerCase();
}
