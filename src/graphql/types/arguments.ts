import 'reflect-metadata';
import { ArgsType, Field, ID, Int } from 'type-graphql';
import { ProviderKey } from '../provider-key.js';
import { LockableField } from './locks.js';
import { MovieFilter, MovieOrder } from './movie-filter.js';
import { ScoreProfile } from './score.js';

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

  @Field(() => ScoreProfile, {
    nullable: true,
    defaultValue: ScoreProfile.BALANCED,
    description: 'Whose c-rating SCORE_DESC orders by and filter.minScore applies to (each profile has its own index).',
  })
  profile?: ScoreProfile | null;
}

@ArgsType()
export class SearchMoviesArgs {
  @Field(() => String, { description: 'Text to look for in titles (1-200 characters).' })
  query!: string;

  @Field(() => [String], { nullable: true, description: 'Only movies having any of these genres: canonical names or any provider spelling ("Sci-Fi", "Science Fiction & Fantasy"), any case.' })
  genres?: string[] | null;

  @Field(() => Int, { nullable: true, defaultValue: 20, description: 'Page size, 1-100.' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page, to get the page after it.' })
  after?: string | null;

  @Field(() => MovieFilter, { nullable: true, description: 'Further conditions every movie must meet (its genres are combined with `genres`).' })
  filter?: MovieFilter | null;

  @Field(() => Int, { nullable: true, description: 'A year to prefer: its matches come first, as when the query ends with it ("alien 1979").' })
  year?: number | null;
}

@ArgsType()
export class SuggestMoviesArgs {
  @Field(() => String, { description: 'What the user has typed so far (1-200 characters); the last word may be incomplete.' })
  prefix!: string;

  @Field(() => Int, { nullable: true, defaultValue: 10, description: 'How many suggestions, 1-20.' })
  first?: number | null;
}

@ArgsType()
export class ImportRunsArgs {
  @Field(() => ProviderKey, { nullable: true, description: 'Only runs of this provider.' })
  provider?: ProviderKey | null;

  @Field(() => Int, { nullable: true, defaultValue: 20, description: 'How many runs, 1-100.' })
  first?: number | null;
}

@ArgsType()
export class LockMovieFieldArgs {
  @Field(() => ID, { description: 'MovieC movie id (UUID).' })
  id!: string;

  @Field(() => LockableField, { description: 'The field to lock.' })
  field!: LockableField;

  @Field(() => String, { description: 'The value the field keeps, as text: checked and typed per field (e.g. YEAR a whole number, RELEASE_DATE YYYY-MM-DD).' })
  value!: string;
}

@ArgsType()
export class UnlockMovieFieldArgs {
  @Field(() => ID, { description: 'MovieC movie id (UUID).' })
  id!: string;

  @Field(() => LockableField, { description: 'The field to hand back to the providers.' })
  field!: LockableField;
}
