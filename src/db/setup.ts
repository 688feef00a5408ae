import { Logger, runMigrations } from 'graphile-worker';
import type pg from 'pg';
import { syncReferenceData } from './reference-data.js';
import { normalizeTitle } from '../matching/normalize-title.js';
import { providerDefinitions } from '../sources/registry.js';
import { migrate, type MigrateResult } from './migrate.js';
import { backfillLockedTitleForms } from './title-forms.js';
import { recoverSearchPostings } from './search-recovery.js';
import { recoverDeferredIndexes } from './deferred-indexes.js';
import { JOB } from '../jobs.js';

const silentLogger = new Logger(() => () => undefined);

/**
 * Brings a database up to date: MovieC's migrations, Graphile Worker's own schema, the
 * reference data defined in code, the search postings of an interrupted bulk rebuild and the indexes a first load deferred to a job no longer queued. What `moviec migrate` and every start-up run.
 */
export async function prepareDatabase(pool: pg.Pool): Promise<MigrateResult> {
  const result = await migrate(pool);
  await runMigrations({ pgPool: pool, logger: silentLogger });
  await syncReferenceData(pool, providerDefinitions());
  // Locked titles from before title_forms existed get their form from the one title normaliser.
  await backfillLockedTitleForms(pool, normalizeTitle);
  // A first aggregation in bulk interrupted between its two commits: its postings and word counts.
  await recoverSearchPostings(pool);
  // A large first load's movies indexes, when no first load's job is queued any more to build them.
  await recoverDeferredIndexes(pool, JOB.aggregateFirstLoad);
  return result;
}
