import 'reflect-metadata';
import { Field, Int, ObjectType } from 'type-graphql';
import { Movie } from './movie.js';

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
  @Field(() => Int, { description: 'Number of movies matching the query across all pages.' })
  totalCount!: number;

  @Field(() => [MovieEdge], { description: 'The movies of this page, in order.' })
  edges!: MovieEdge[];

  @Field(() => PageInfo, { description: 'Whether and where the list continues.' })
  pageInfo!: PageInfo;
}
