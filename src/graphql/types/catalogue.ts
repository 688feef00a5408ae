import 'reflect-metadata';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { ProviderKey } from '../provider-key.js';

@ObjectType({ description: 'A canonical genre; provider spellings are mapped onto it.' })
export class Genre {
  @Field(() => String, { description: 'Canonical genre name.' })
  name!: string;
}

@ObjectType({ description: 'A data source MovieC imports movies and ratings from.' })
export class Provider {
  @Field(() => ProviderKey, { description: 'Provider key.' })
  key!: ProviderKey;

  @Field(() => String, { description: 'Display name.' })
  name!: string;

  @Field(() => String, { description: 'FILE (dataset files) or API (REST API).' })
  kind!: string;

  @Field(() => ImportRun, { nullable: true, description: 'The newest import run of the provider, if any.' })
  lastRun!: ImportRun | null;
}

@ObjectType({ description: 'One import of one provider, from queued to finished.' })
export class ImportRun {
  @Field(() => ID, { description: 'Import run id.' })
  id!: string;

  @Field(() => Provider, { description: 'The provider imported.' })
  provider!: Provider;

  @Field(() => String, { description: 'QUEUED, RUNNING, SUCCEEDED, PARTIAL (finished with rejected rows) or FAILED.' })
  status!: string;

  @Field(() => String, { description: 'What started the run: cli, api, startup, schedule or inbox.' })
  trigger!: string;

  @Field(() => Int, { description: 'Input rows read.' })
  rowsRead!: number;

  @Field(() => Int, { description: 'Rows that were new or changed.' })
  rowsChanged!: number;

  @Field(() => Int, { description: 'Rows rejected as invalid.' })
  rowsRejected!: number;

  @Field(() => Int, { description: 'Movies whose aggregation the run queued.' })
  moviesQueued!: number;

  @Field(() => String, { description: 'When the run was queued, as an ISO 8601 timestamp.' })
  createdAt!: string;

  @Field(() => String, { nullable: true, description: 'When the run started, as an ISO 8601 timestamp.' })
  startedAt!: string | null;

  @Field(() => String, { nullable: true, description: 'When the run finished, as an ISO 8601 timestamp.' })
  finishedAt!: string | null;

  @Field(() => String, { nullable: true, description: 'Why the run failed.' })
  error!: string | null;
}

@ObjectType({ description: "How many of a provider's records are linked to a curated movie." })
export class ProviderMatchStats {
  @Field(() => Provider, { description: 'The provider.' })
  provider!: Provider;

  @Field(() => Int, { description: 'Records of the provider.' })
  total!: number;

  @Field(() => Int, { description: 'Records linked to a movie.' })
  matched!: number;

  @Field(() => Int, { description: 'Records not linked to a movie (unmatched, ambiguous, or pending in a running import).' })
  unmatched!: number;

  @Field(() => Float, { description: 'unmatched / total, in percent with two decimals (0 without records).' })
  unmatchedPercent!: number;
}
