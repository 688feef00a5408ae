import 'reflect-metadata';
import { Field, Float, InputType, Int, registerEnumType } from 'type-graphql';

export enum MovieOrder {
  SCORE_DESC = 'SCORE_DESC',
  YEAR_DESC = 'YEAR_DESC',
  TITLE_ASC = 'TITLE_ASC',
  VOTES_DESC = 'VOTES_DESC',
}

registerEnumType(MovieOrder, {
  name: 'MovieOrder',
  description: 'Order of a movie list; ties are broken by movie id so that pages are stable.',
  valuesConfig: {
    SCORE_DESC: { description: 'Highest c-rating first; movies without a score last.' },
    YEAR_DESC: { description: 'Newest first; movies without a year last.' },
    TITLE_ASC: { description: 'By title, A to Z, ignoring case.' },
    VOTES_DESC: { description: 'Most votes first; movies without votes last.' },
  },
});

@InputType({ description: 'Restricts a movie list; all given conditions must hold.' })
export class MovieFilter {
  @Field(() => [String], { nullable: true, description: 'Movies having any of these genres (case-insensitive names).' })
  genres?: string[] | null;

  @Field(() => Int, { nullable: true, description: 'Released in or after this year.' })
  yearFrom?: number | null;

  @Field(() => Int, { nullable: true, description: 'Released in or before this year.' })
  yearTo?: number | null;

  @Field(() => Float, { nullable: true, description: 'Minimum c-rating (0-100).' })
  minScore?: number | null;

  @Field(() => Int, { nullable: true, description: 'Minimum number of votes behind the c-rating.' })
  minVotes?: number | null;
}
