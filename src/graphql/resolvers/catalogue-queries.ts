import 'reflect-metadata';
import { Arg, Args, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../context.js';
import { findImportRun, listGenres, listImportRuns } from '../../db/catalogue.js';
import { cachedMatchReport } from '../../services/match-report.js';
import type { GenreRecord, ImportRunRecord, MatchStatsRecord, ProviderRecord } from '../../db/records.js';
import { FIELD_COSTS, pageComplexity, validateFirst } from '../pagination.js';
import { ImportRunsArgs } from '../types/arguments.js';
import { Genre, ImportRun, Provider, ProviderMatchStats } from '../types/catalogue.js';

@Resolver()
export class CatalogueQueries {
  @Query(() => [Genre], { description: 'Every canonical genre, by name.' })
  async genres(@Ctx() { readPool }: GraphQLContext): Promise<GenreRecord[]> {
    return listGenres(readPool);
  }

  @Query(() => [Provider], { description: 'Every provider MovieC knows, by key.' })
  async providers(@Ctx() { loaders }: GraphQLContext): Promise<ProviderRecord[]> {
    return loaders.providers();
  }

  @Query(() => ImportRun, { nullable: true, description: 'An import run by id; null when there is none.' })
  async importRun(
    @Arg('id', () => ID, { description: 'Import run id.' }) id: string,
    @Ctx() { pool }: GraphQLContext,
  ): Promise<ImportRunRecord | null> {
    // Ids are bigints; anything else names no run.
    if (!/^\d{1,18}$/.test(id)) return null;
    return findImportRun(pool, id);
  }

  @Query(() => [ImportRun], { description: 'The newest import runs first.', complexity: pageComplexity(1) })
  async importRuns(
    @Args(() => ImportRunsArgs) { provider, first }: ImportRunsArgs,
    @Ctx() { pool }: GraphQLContext,
  ): Promise<ImportRunRecord[]> {
    return listImportRuns(pool, provider ?? null, validateFirst(first ?? 20));
  }

  @Query(() => [ProviderMatchStats], {
    description: 'Per provider, how many of its records are matched to a movie (computed at most every few seconds).',
    complexity: FIELD_COSTS.matchReport,
  })
  async matchReport(@Ctx() { pool, cache }: GraphQLContext): Promise<MatchStatsRecord[]> {
    return cachedMatchReport(pool, cache);
  }
}
