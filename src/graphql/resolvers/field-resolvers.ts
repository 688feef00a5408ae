import 'reflect-metadata';
import { Ctx, FieldResolver, Resolver, Root, type ClassType } from 'type-graphql';
import type { GraphQLContext } from '../context.js';
import type {
  ExternalIdRecord,
  ImportRunRecord,
  MovieGenreRecord,
  MovieRecord,
  ProviderRecord,
  RatingRecord,
  TitleRecord,
} from '../data/records.js';
import type { MovieConnectionRecord } from '../pagination.js';
import { ImportRun, Provider, ProviderMatchStats } from '../types/catalogue.js';
import { MovieConnection } from '../types/connection.js';
import { AggregateScore, ExternalId, Movie, MovieTitle, ProviderRating } from '../types/movie.js';

/** Fields that are not columns of their parent row: each goes through a per-request DataLoader. */

@Resolver(() => Movie)
export class MovieFields {
  @FieldResolver()
  score(@Root() movie: MovieRecord): AggregateScore | null {
    if (movie.scoreValue == null) return null;
    return {
      value: movie.scoreValue,
      confidence: movie.scoreConfidence ?? 0,
      providerCount: movie.scoreProviderCount,
      votes: movie.scoreVotes ?? 0,
    };
  }

  @FieldResolver()
  ratings(@Root() movie: MovieRecord, @Ctx() { loaders }: GraphQLContext): Promise<RatingRecord[]> {
    return loaders.ratings.load(movie.id);
  }

  @FieldResolver()
  titles(@Root() movie: MovieRecord, @Ctx() { loaders }: GraphQLContext): Promise<TitleRecord[]> {
    return loaders.titles.load(movie.id);
  }

  @FieldResolver()
  genres(@Root() movie: MovieRecord, @Ctx() { loaders }: GraphQLContext): Promise<MovieGenreRecord[]> {
    return loaders.genres.load(movie.id);
  }

  @FieldResolver()
  externalIds(@Root() movie: MovieRecord, @Ctx() { loaders }: GraphQLContext): Promise<ExternalIdRecord[]> {
    return loaders.externalIds.load(movie.id);
  }
}

@Resolver(() => Provider)
export class ProviderFields {
  @FieldResolver()
  lastRun(@Root() provider: ProviderRecord, @Ctx() { loaders }: GraphQLContext): Promise<ImportRunRecord | null> {
    return loaders.lastRun.load(provider.key);
  }
}

@Resolver(() => MovieConnection)
export class MovieConnectionFields {
  @FieldResolver()
  totalCount(@Root() connection: MovieConnectionRecord): Promise<number> {
    return connection.count();
  }
}

/** `provider` of a type whose rows carry a providerKey. */
function providerFieldOf(type: ClassType): ClassType {
  @Resolver(() => type)
  class ProviderField {
    @FieldResolver()
    provider(@Root() row: { providerKey: string }, @Ctx() { loaders }: GraphQLContext): Promise<ProviderRecord> {
      return loaders.provider(row.providerKey);
    }
  }
  return ProviderField;
}

export const PROVIDER_FIELD_RESOLVERS = [ProviderRating, MovieTitle, ExternalId, ImportRun, ProviderMatchStats].map(providerFieldOf);
