import 'reflect-metadata';
import { GraphQLError } from 'graphql';
import { Arg, Ctx, Float, ID, Resolver, Root, Subscription } from 'type-graphql';
import type { MovieChange } from '../../services/movie-changes.js';
import type { GraphQLContext } from '../context.js';
import { BadInputError } from '../../errors.js';
import { isUuid, type MovieRecord } from '../../db/records.js';
import { createLoaders } from '../../services/movie-loaders.js';
import { Movie } from '../types/movie.js';
import { uncachedMovieCache } from '../uncached-cache.js';

const MAX_IDS = 1000;

/** movieChanged over WebSocket (graphql-ws at /graphql): changes made by any worker process. */
@Resolver()
export class MovieSubscriptions {
  @Subscription(() => Movie, {
    nullable: true,
    description:
      'A movie each time aggregation changes it (any process): its state after the change. Over WebSocket (graphql-transport-ws) at /graphql.',
    subscribe: async ({ args, context }) => {
      const { ids, minDelta } = args as { ids?: string[] | null; minDelta?: number | null };
      const { partners } = context as GraphQLContext;
      if (!partners) throw new GraphQLError('Subscriptions are not available on this server');
      if (ids && (ids.length > MAX_IDS || ids.some((id) => !isUuid(id)))) {
        throw new BadInputError(`ids: at most ${MAX_IDS} MovieC movie ids (UUIDs)`, 'ids');
      }
      if (minDelta != null && !(minDelta >= 0 && minDelta <= 100)) throw new BadInputError('minDelta must be between 0 and 100', 'minDelta');
      return partners.feed.subscribe({ ids: ids ?? null, minDelta: minDelta ?? null });
    },
  })
  async movieChanged(
    @Root() change: MovieChange,
    @Arg('ids', () => [ID], { nullable: true, description: 'Only these movies; absent: every movie.' }) _ids: string[] | null,
    @Arg('minDelta', () => Float, { nullable: true, description: 'Only changes of the c-rating by at least this many points.' })
    _minDelta: number | null,
    @Ctx() context: GraphQLContext,
  ): Promise<MovieRecord | null> {
    // Each event is read fresh from the database: the cache may not have heard of the change yet.
    context.loaders = createLoaders(context.pool, uncachedMovieCache());
    return context.loaders.movie.load(change.id);
  }
}
