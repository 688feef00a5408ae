import 'reflect-metadata';
import { ArgsType, Field, Int } from 'type-graphql';
import { ProviderKey } from '../provider-key.js';
import { MovieFilter, MovieOrder } from './movie-filter.js';

// Argument classes keep the arguments in the order the contract lists them.

@ArgsType()
export class MovieByExternalIdArgs {
  @Field(() => ProviderKey, { description: 'The provider the id belongs to.' })
  provider!: ProviderKey;

  @Field(() => String, { description: "The provider's id of the movie, e.g. an IMDb tconst." })
  externalId!: string;
}

@ArgsType()
export class MoviesArgs {
  @Field(() => MovieFilter, { nullable: true, description: 'Conditions every movie must meet.' })
  filter?: MovieFilter | null;

  @Field(() => MovieOrder, { nullable: true, defaultValue: MovieOrder.SCORE_DESC, description: 'Order of the list.' })
  orderBy?: MovieOrder | null;

  @Field(() => Int, { nullable: true, defaultValue: 20, description: 'Page size, 1-100.' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page, to get the page after it.' })
  after?: string | null;
}

@ArgsType()
export class SearchMoviesArgs {
  @Field(() => String, { description: 'Text to look for in titles (1-200 characters).' })
  query!: string;

  @Field(() => [String], { nullable: true, description: 'Only movies having any of these genres (case-insensitive names).' })
  genres?: string[] | null;

  @Field(() => Int, { nullable: true, defaultValue: 20, description: 'Page size, 1-100.' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page, to get the page after it.' })
  after?: string | null;
}

@ArgsType()
export class ImportRunsArgs {
  @Field(() => ProviderKey, { nullable: true, description: 'Only runs of this provider.' })
  provider?: ProviderKey | null;

  @Field(() => Int, { nullable: true, defaultValue: 20, description: 'How many runs, 1-100.' })
  first?: number | null;
}
