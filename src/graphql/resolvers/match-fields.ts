import 'reflect-metadata';
import { Ctx, Field, FieldResolver, ObjectType, Resolver, Root } from 'type-graphql';
import { rejectionsForMovie, type RejectedMatchRecord } from '../../db/match-rejections.js';
import type { GraphQLContext } from '../context.js';
import type { MovieRecord, ProviderRecord } from '../../db/records.js';
import { Provider } from '../types/catalogue.js';
import { Movie } from '../types/movie.js';

@ObjectType({ description: 'A provider record an admin took off this movie (rejectMatch); it never returns to it.' })
export class RejectedMatch {
  @Field(() => Provider, { description: "The record's provider." })
  provider!: Provider;

  @Field(() => String, { description: "The record's id at the provider." })
  externalId!: string;

  @Field(() => String, { description: 'When it was rejected (ISO 8601).' })
  rejectedAt!: string;
}

@Resolver(() => Movie)
export class MatchFields {
  @FieldResolver(() => [RejectedMatch], {
    description: 'Provider records an admin rejected for this movie (rejectMatch), next to externalIds: how each provider was matched.',
  })
  rejectedMatches(@Root() movie: MovieRecord, @Ctx() { pool }: GraphQLContext): Promise<RejectedMatchRecord[]> {
    return rejectionsForMovie(pool, movie.id);
  }
}

@Resolver(() => RejectedMatch)
export class RejectedMatchFields {
  @FieldResolver(() => Provider)
  provider(@Root() row: RejectedMatchRecord, @Ctx() { loaders }: GraphQLContext): Promise<ProviderRecord> {
    return loaders.provider(row.providerKey);
  }
}
