import type { TaskList } from 'graphile-worker';
import type pg from 'pg';
import { faultPoint } from '../fault-points.js';
import { defineTask, JOB } from '../jobs.js';
import { executeImport } from '../services/import.js';
import type { Logger } from '../logger.js';
import { withTransaction } from '../db/pool.js';
import { rematchUnmatched } from '../matching/match-changed.js';
import { aggregateMovies } from '../scoring/aggregate.js';
import { enqueueAggregation, enqueueRematch } from '../db/jobs.js';
import { reportInputProgress } from './import-progress.js';

export interface TaskDependencies {
  pool: pg.Pool;
  logger: Logger;
  /** Called after aggregation committed changes, e.g. to invalidate caches. */
  onMoviesChanged?: (movieIds: string[]) => Promise<void> | void;
}

/** The Graphile Worker tasks: ingest one import run; aggregate one movie or a chunk of movies. */
export function createTaskList({ pool, logger, onMoviesChanged }: TaskDependencies): TaskList {
  const aggregate = async (ids: string[], jobId: string) => {
    const outcome = await aggregateMovies(pool, ids);
    faultPoint('aggregate.committed', { jobId, movies: ids.length });
    const touched = [...outcome.changed, ...outcome.removed];
    if (touched.length) await onMoviesChanged?.(touched);
    if (outcome.created.length) await enqueueRematch(pool);
    logger.debug({ jobId, changed: outcome.changed.length, removed: outcome.removed.length }, 'aggregated');
  };
  const ingest = defineTask(JOB.ingest, async ({ runId }, helpers) => {
    const outcome = await executeImport(pool, runId, { onProgress: (done, total) => reportInputProgress(runId, done, total) });
    if (outcome) logger.info({ jobId: helpers.job.id, ...outcome }, `import run ${runId} ${outcome.status}`);
  });
  const aggregateMovie = defineTask(JOB.aggregateMovie, ({ movieId }, helpers) => aggregate([movieId], helpers.job.id));
  const aggregateChunk = defineTask(JOB.aggregateMovies, ({ movieIds }, helpers) => aggregate(movieIds, helpers.job.id));
  const rematch = defineTask(JOB.rematchUnmatched, async (_payload, helpers) => {
    const movieIds = await withTransaction(pool, async (client) => {
      const ids = await rematchUnmatched(client);
      await enqueueAggregation(client, ids);
      return ids;
    });
    logger.debug({ jobId: helpers.job.id, movies: movieIds.length }, 'rematched waiting rows');
  });
  return {
    [JOB.ingest]: ingest,
    [JOB.aggregateMovie]: aggregateMovie,
    [JOB.aggregateMovies]: aggregateChunk,
    [JOB.rematchUnmatched]: rematch,
  };
}
