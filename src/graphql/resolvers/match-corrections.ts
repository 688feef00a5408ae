import 'reflect-metadata';
import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import {
  confirmMatch, rejectMatch, relinkRecord, type CorrectionOutcome,
} from '../../services/match-corrections.js';
import type { GraphQLContext } from '../context.js';
import { moviesByIds } from '../../db/movies.js';
import { isUuid, type MovieRecord } from '../../db/records.js';
import { BadInputError, NotFoundError } from '../../errors.js';
import { ProviderKey } from '../provider-key.js';
import { Movie } from '../types/movie.js';

const MAX_ID = 200;

/** Corrections of matches (admin): thin translations onto src/services/match-corrections.ts. */
@Resolver()
export class MatchCorrectionMutations {
  @Authorized()
  @Mutation(() => Movie, {
    description: "Confirms a provider record's current movie: it stays there through reimports and rematching (method MANUAL).",
  })
  async confirmMatch(
    @Arg('provider', () => ProviderKey, { description: "The record's provider." }) provider: ProviderKey,
    @Arg('externalId', () => String, { description: "The record's id at the provider." }) externalId: string,
    @Ctx() context: GraphQLContext,
  ): Promise<MovieRecord> {
    const outcome = await run(context, () => confirmMatch(context, provider, idOf(externalId)));
    return movieOf(context, outcome);
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description:
      'Takes a provider record off its movie for good: it never returns to that movie by id or title, and is matched again without it. Both movies are re-aggregated.',
  })
  async rejectMatch(
    @Arg('provider', () => ProviderKey, { description: "The record's provider." }) provider: ProviderKey,
    @Arg('externalId', () => String, { description: "The record's id at the provider." }) externalId: string,
    @Ctx() context: GraphQLContext,
  ): Promise<boolean> {
    await run(context, () => rejectMatch(context, provider, idOf(externalId)));
    return true;
  }

  @Authorized()
  @Mutation(() => Movie, {
    description: 'Moves a provider record to the movie named, for good (method MANUAL); both movies are re-aggregated.',
  })
  async relinkRecord(
    @Arg('provider', () => ProviderKey, { description: "The record's provider." }) provider: ProviderKey,
    @Arg('externalId', () => String, { description: "The record's id at the provider." }) externalId: string,
    @Arg('movieId', () => ID, { description: 'MovieC movie id (UUID) the record belongs to.' }) movieId: string,
    @Ctx() context: GraphQLContext,
  ): Promise<MovieRecord> {
    if (!isUuid(movieId)) throw new NotFoundError(`No movie with id ${movieId}`);
    const outcome = await run(context, () => relinkRecord(context, provider, idOf(externalId), movieId.toLowerCase()));
    return movieOf(context, outcome);
  }
}

function idOf(externalId: string): string {
  const id = externalId.trim();
  if (!id || id.length > MAX_ID) throw new BadInputError(`externalId must be 1-${MAX_ID} characters`, 'externalId');
  return id;
}

async function run(context: GraphQLContext, fn: () => Promise<CorrectionOutcome>): Promise<CorrectionOutcome> {
  const outcome = await fn();
  for (const id of outcome.affected) context.loaders.forget(id);
  return outcome;
}

async function movieOf(context: GraphQLContext, outcome: CorrectionOutcome): Promise<MovieRecord> {
  const [movie] = outcome.movieId ? await moviesByIds(context.pool, [outcome.movieId]) : [];
  if (!movie) throw new NotFoundError('The movie no longer exists');
  return movie;
}
