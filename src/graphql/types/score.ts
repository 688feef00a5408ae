import 'reflect-metadata';
import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Provider } from './catalogue.js';

/** GraphQL names of the score profiles (src/scoring/rules.ts SCORE_PROFILES). */
export enum ScoreProfile {
  BALANCED = 'BALANCED',
  CRITICS = 'CRITICS',
  AUDIENCE = 'AUDIENCE',
}

registerEnumType(ScoreProfile, {
  name: 'ScoreProfile',
  description: 'How critics and users/audiences weigh against each other in a c-rating.',
  valuesConfig: {
    BALANCED: { description: 'Every rating at its provider reliability weight: the c-rating.' },
    CRITICS: { description: 'Critics at full weight, users and audiences at 0.15 of theirs.' },
    AUDIENCE: { description: 'Users and audiences at full weight, critics at 0.15 of theirs.' },
  },
});

@ObjectType({ description: "One rating's part in a c-rating: its value, how far it is trusted over its prior, its weight." })
export class ScoreContribution {
  @Field(() => Provider, { description: 'The provider that gives the rating.' })
  provider!: Provider;

  @Field(() => String, { description: 'Rating kind: users, critics or audience.' })
  kind!: string;

  @Field(() => Float, { description: "The rating on the provider's own scale." })
  rawValue!: number;

  @Field(() => String, { description: 'The provider scale, e.g. "1-10".' })
  rawScale!: string;

  @Field(() => Float, { description: 'The rating mapped linearly to 0-100.' })
  normalized!: number;

  @Field(() => Float, { description: "The rating on the common scale (the provider's calibration): R in the formula." })
  calibrated!: number;

  @Field(() => Int, { nullable: true, description: 'Votes behind the rating (v); null when unknown (counted as priorVotes).' })
  votes!: number | null;

  @Field(() => Float, { description: "This rating's share of the total weight, 0-1 (reliability × profile); the weights add up to 1." })
  weight!: number;

  @Field(() => Float, { description: "C: the provider's prior mean on the common scale, which few votes are pulled toward." })
  priorMean!: number;

  @Field(() => Float, { description: 'm: how many votes weigh as much as the prior.' })
  priorVotes!: number;

  @Field(() => Float, { description: 'v / (v + m): how far the rating is trusted over the prior, 0-1.' })
  trust!: number;

  @Field(() => Float, {
    description: 'weight × (trust × calibrated + (1 − trust) × priorMean), two decimals; the contributions add up to the value.',
  })
  contribution!: number;
}

@ObjectType({ description: 'How a c-rating is computed, rating by rating.' })
export class ScoreExplanation {
  @Field(() => String, { description: 'Version of the formula (the README documents it).' })
  formulaVersion!: string;

  @Field(() => [ScoreContribution], { description: 'One per rating, by provider and kind; their contribution fields add up to the value.' })
  contributions!: ScoreContribution[];
}
