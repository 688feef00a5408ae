import 'reflect-metadata';
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Provider } from './catalogue.js';
import { ScoreExplanation, ScoreProfile } from './score.js';

/** How a provider's record joined a movie. */
export enum MatchMethod {
  ID = 'ID',
  TITLE = 'TITLE',
  MANUAL = 'MANUAL',
}

registerEnumType(MatchMethod, {
  name: 'MatchMethod',
  description: "How a provider's record joined a movie.",
  valuesConfig: {
    ID: { description: 'A shared id: an IMDb or TMDB id the record carries or that another record of the movie links to.' },
    TITLE: { description: 'Title and year, with the evidence that agreed (runtime, directors, release date).' },
    MANUAL: { description: 'An admin confirmed or relinked it (confirmMatch, relinkRecord); it stays through reimports.' },
  },
});

// Fields typed with another object type here are resolved by the resolvers in ../resolvers
// (from DataLoaders); they are declared on the class so that the schema lists them in order.

@ObjectType({ description: 'A curated movie: one entity combined from every provider that knows it.' })
export class Movie {
  @Field(() => ID, { description: 'Stable MovieC id (a UUID).' })
  id!: string;

  @Field(() => String, { description: 'The best-scored title across providers.' })
  title!: string;

  @Field(() => String, { nullable: true, description: 'Title in the original language, when a provider gives one.' })
  originalTitle!: string | null;

  @Field(() => Int, { nullable: true, description: 'Release year.' })
  year!: number | null;

  @Field(() => String, { nullable: true, description: 'Release date as an ISO date (YYYY-MM-DD).' })
  releaseDate!: string | null;

  @Field(() => Int, { nullable: true, description: 'Running time in minutes.' })
  runtimeMinutes!: number | null;

  @Field(() => String, { nullable: true, description: 'Plot summary.' })
  overview!: string | null;

  @Field(() => String, { nullable: true, description: 'URL of a poster image.' })
  posterUrl!: string | null;

  @Field(() => AggregateScore, {
    nullable: true,
    description: 'The c-rating under a profile (BALANCED by default); null when no provider rates the movie.',
  })
  score!: AggregateScore | null;

  @Field(() => [ProviderRating], { description: 'Per-provider breakdown of the ratings behind the c-rating.' })
  ratings!: ProviderRating[];

  @Field(() => [MovieTitle], { description: "Every provider's title for the movie, best first." })
  titles!: MovieTitle[];

  @Field(() => [MovieGenre], {
    description: "Canonical genres, most certain first: those asserted by at least the threshold share of providers (see genreCandidates).",
  })
  genres!: MovieGenre[];

  @Field(() => [GenreCandidate], {
    description: 'Every canonical genre any provider asserts, most certain first, including those below the threshold that makes a genre the movie\'s.',
  })
  genreCandidates!: GenreCandidate[];

  @Field(() => [ExternalId], { description: "The movie's ids at the providers that know it." })
  externalIds!: ExternalId[];

  @Field(() => [FieldSource], { description: 'Where each curated field comes from: the provider that supplied it, or an admin lock.' })
  fieldSources!: FieldSource[];

  @Field(() => String, { description: 'When the curated movie last changed, as an ISO 8601 timestamp.' })
  updatedAt!: string;
}

@ObjectType({ description: 'The c-rating: every provider rating normalised to 0-100 and combined.' })
export class AggregateScore {
  @Field(() => Float, { description: 'Combined score, 0-100, rounded to one decimal.' })
  value!: number;

  @Field(() => Float, { description: 'Confidence in the score, 0-1; grows with providers and votes.' })
  confidence!: number;

  @Field(() => Int, { description: 'Number of providers whose ratings the score combines.' })
  providerCount!: number;

  @Field(() => Int, { description: 'Total votes behind the combined ratings.' })
  votes!: number;

  @Field(() => ScoreProfile, { description: 'The profile this score is computed under.' })
  profile!: ScoreProfile;

  @Field(() => ScoreExplanation, {
    nullable: true,
    description: 'How the value is computed, rating by rating; null only for a movie not re-scored since explanations exist.',
  })
  explanation!: ScoreExplanation | null;
}

@ObjectType({ description: "One provider's rating of a movie, of one kind." })
export class ProviderRating {
  @Field(() => Provider, { description: 'The provider that gives the rating.' })
  provider!: Provider;

  @Field(() => String, { description: 'Rating kind: users, critics or audience.' })
  kind!: string;

  @Field(() => Float, { description: "The rating on the provider's own scale." })
  rawValue!: number;

  @Field(() => String, { description: 'The provider scale, e.g. "1-10" or "0-100".' })
  rawScale!: string;

  @Field(() => Float, { description: "The rating mapped linearly to 0-100 (MovieLens 4.2 / 5 is 84, a 98 % is 98)." })
  normalized!: number;

  @Field(() => Float, {
    nullable: true,
    description: "The rating on MovieC's common scale (the provider's calibration), as the c-rating uses it; null for a movie not re-scored since.",
  })
  calibrated!: number | null;

  @Field(() => Int, { nullable: true, description: 'Votes behind the rating, when the provider reports them.' })
  votes!: number | null;

  @Field(() => String, { nullable: true, description: "When MovieC last read this provider's record of the movie (ISO 8601)." })
  fetchedAt!: string | null;

  @Field(() => String, { nullable: true, description: 'When the provider says it last updated the rating (ISO 8601), if it says.' })
  sourceUpdatedAt!: string | null;

  @Field(() => Boolean, {
    description: "Whether the rating was read longer ago than the provider's expected refresh interval (from its import schedule).",
  })
  stale!: boolean;
}

@ObjectType({ description: "A provider's title for a movie, scored; the best one is the movie's title." })
export class MovieTitle {
  @Field(() => Provider, { description: 'The provider that uses the title.' })
  provider!: Provider;

  @Field(() => String, { description: 'The title as the provider spells it.' })
  title!: string;

  @Field(() => Float, { description: 'How strongly this title is preferred; higher is better.' })
  score!: number;
}

@ObjectType({ description: 'A canonical genre of a movie.' })
export class MovieGenre {
  @Field(() => String, { description: 'Canonical genre name.' })
  name!: string;

  @Field(() => Float, { description: 'Share of providers, weighted by reliability, asserting the genre (0-1).' })
  confidence!: number;
}

@ObjectType({ description: "A movie's id at one provider." })
export class ExternalId {
  @Field(() => Provider, { description: 'The provider the id belongs to.' })
  provider!: Provider;

  @Field(() => String, { description: "The provider's own id, e.g. an IMDb tconst." })
  externalId!: string;

  @Field(() => MatchMethod, {
    description:
      'How the record joined this movie: ID (a shared IMDb or TMDB id, or the id is one a matched record links to), TITLE (title and year with evidence), MANUAL (an admin confirmed or relinked it).',
  })
  method!: MatchMethod;

  @Field(() => Float, { description: 'How sure the match is (0-1); 1 for ID and MANUAL.' })
  confidence!: number;

  @Field(() => String, { nullable: true, description: 'When the record joined the movie (ISO 8601); null for an IMDb id only the movie itself holds.' })
  matchedAt!: string | null;

  @Field(() => String, { nullable: true, description: 'What decided the match, e.g. the titles compared and the evidence that agreed.' })
  reason!: string | null;
}

@ObjectType({ description: 'A genre providers assert for a movie, with how strongly.' })
export class GenreCandidate {
  @Field(() => String, { description: 'Canonical genre name.' })
  name!: string;

  @Field(() => Float, { description: 'Share of providers, weighted by reliability, asserting the genre (0-1).' })
  confidence!: number;

  @Field(() => Boolean, { description: "Whether the confidence reaches the threshold that makes it one of the movie's genres." })
  accepted!: boolean;
}

@ObjectType({ description: 'The origin of one curated field of a movie.' })
export class FieldSource {
  @Field(() => String, { description: 'The curated field, e.g. title, year, releaseDate, runtimeMinutes, overview, posterUrl.' })
  field!: string;

  @Field(() => String, { description: 'The key of the provider that supplied the value (imdb, tmdb, rottentomatoes, movielens), or "lock" for an admin lock.' })
  source!: string;

  @Field(() => Provider, { nullable: true, description: 'The provider that supplied the value; null when an admin lock sets it.' })
  provider!: Provider | null;

  @Field(() => Boolean, { description: 'Whether an admin lock sets the value.' })
  locked!: boolean;
}
