import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { isCatalogueEmpty } from '../db/import-runs.js';
import { waitForAggregation, waitForRun } from '../services/import-wait.js';
import { queueImport } from '../services/import.js';
import { enqueueRefit } from '../db/scoring-jobs.js';
import type { Logger } from '../logger.js';
import type { SourceLocation } from '../sources/types.js';

const sample = (path: string) => fileURLToPath(new URL(`../../data/sample/${path}`, import.meta.url));

/**
 * The bundled sample data, in import order: providers that create movies first, Rotten Tomatoes
 * (which only matches by title) last, so its rows find the movies the others created.
 */
export const SAMPLES: { provider: string; location: SourceLocation }[] = [
  { provider: 'imdb', location: { basics: sample('imdb/title.basics.tsv'), ratings: sample('imdb/title.ratings.tsv') } },
  { provider: 'movielens', location: { dir: sample('movielens') } },
  { provider: 'rottentomatoes', location: { file: sample('rottentomatoes/rotten_tomatoes_movies.csv') } },
];

/** Imports the samples one after the other when the database has no movie and no import run yet. */
export async function importSamplesIfEmpty(pool: pg.Pool, logger: Logger): Promise<boolean> {
  if (!(await isCatalogueEmpty(pool))) return false;
  logger.info('empty database: importing the bundled sample data');
  for (const { provider, location } of SAMPLES) {
    const runId = await queueImport(pool, provider, location, 'startup');
    const run = await waitForRun(pool, runId, () => undefined);
    // The scoring refit the run queued, without its debounce: the next sample then sees the new fit.
    if (run.status !== 'FAILED' && run.movies_queued > 0) await enqueueRefit(pool, 0);
    await waitForAggregation(pool, () => undefined);
    logger.info({ runId, provider, status: run.status, rowsChanged: run.rows_changed }, 'sample data imported');
  }
  return true;
}
