import 'reflect-metadata';
import { Field, Int, ObjectType } from 'type-graphql';
import { FIELD_COSTS } from '../pagination.js';
import { ProviderKey } from '../provider-key.js';
import { Movie } from './movie.js';

@ObjectType({ description: 'How many movies of a list have a genre.' })
export class GenreFacet {
  @Field(() => String, { description: 'Canonical genre name.' })
  name!: string;

  @Field(() => Int, { description: 'Movies of the list (all pages) with this genre.' })
  count!: number;
}

@ObjectType({ description: 'How many movies of a list came out in a decade.' })
export class DecadeFacet {
  @Field(() => Int, { description: 'First year of the decade, e.g. 1990.' })
  decade!: number;

  @Field(() => Int, { description: 'Movies of the list (all pages) from this decade.' })
  count!: number;
}

@ObjectType({ description: 'How many movies of a list a provider knows.' })
export class ProviderFacet {
  @Field(() => ProviderKey, { description: 'The provider.' })
  key!: ProviderKey;

  @Field(() => Int, { description: 'Movies of the list (all pages) with a record from this provider.' })
  count!: number;
}

@ObjectType({ description: 'Counts over every movie of a list (the same query and filters, all pages), for refining it.' })
export class MovieFacets {
  @Field(() => [GenreFacet], { description: 'Per canonical genre (confident genres only), most frequent first.' })
  genres!: GenreFacet[];

  @Field(() => [DecadeFacet], { description: 'Per decade of release, oldest first.' })
  decades!: DecadeFacet[];

  @Field(() => [ProviderFacet], { description: 'Per provider, most frequent first.' })
  providers!: ProviderFacet[];
}

@ObjectType({ description: 'Where a page of movies ends.' })
export class PageInfo {
  @Field(() => Boolean, { description: 'Whether more movies follow this page.' })
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: "Cursor of the page's last movie: pass it as `after` for the next page." })
  endCursor!: string | null;
}

@ObjectType({ description: 'A movie in a page, with its cursor.' })
export class MovieEdge {
  @Field(() => String, { description: 'Opaque position of this movie in the list.' })
  cursor!: string;

  @Field(() => Movie, { description: 'The movie.' })
  node!: Movie;
}

@ObjectType({ description: 'A page of movies (cursor pagination).' })
export class MovieConnection {
  @Field(() => Int, { description: 'Number of movies matching the query across all pages.', complexity: FIELD_COSTS.totalCount })
  totalCount!: number;

  @Field(() => [MovieEdge], { description: 'The movies of this page, in order.' })
  edges!: MovieEdge[];

  @Field(() => PageInfo, { description: 'Whether and where the list continues.' })
  pageInfo!: PageInfo;

  @Field(() => MovieFacets, {
    description: 'Counts per genre, decade and provider over the whole list (computed only when asked for).',
    complexity: FIELD_COSTS.facets,
  })
  facets!: MovieFacets;
}
