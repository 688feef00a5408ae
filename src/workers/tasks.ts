import type { Task, TaskList } from 'graphile-worker';
import type pg from 'pg';
import { z } from 'zod';
import { executeImport } from '../ingest/run-import.js';
import type { Logger } from '../logger.js';
import { withTransaction } from '../db/pool.js';
import { rematchUnmatched } from '../matching/match-changed.js';
import { aggregateMovies } from '../scoring/aggregate.js';
import { enqueueAggregation, enqueueRematch, TASK } from './enqueue.js';
import { reportInputProgress } from './import-progress.js';

const ingestPayload = z.object({ runId: z.string().regex(/^\d+$/) });
const aggregateMoviePayload = z.object({ movieId: z.uuid() });
const aggregateMoviesPayload = z.object({ movieIds: z.array(z.uuid()).min(1) });

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
    const touched = [...outcome.changed, ...outcome.removed];
    if (touched.length) await onMoviesChanged?.(touched);
    if (outcome.created.length) await enqueueRematch(pool);
    logger.debug({ jobId, changed: outcome.changed.length, removed: outcome.removed.length }, 'aggregated');
  };
  const ingest: Task = async (payload, helpers) => {
    const { runId } = ingestPayload.parse(payload);
    const outcome = await executeImport(pool, runId, { onProgress: (done, total) => reportInputProgress(runId, done, total) });
    if (outcome) logger.info({ jobId: helpers.job.id, ...outcome }, `import run ${runId} ${outcome.status}`);
  };
  const aggregateMovie: Task = async (payload, helpers) => {
    await aggregate([aggregateMoviePayload.parse(payload).movieId], helpers.job.id);
  };
  const aggregateChunk: Task = async (payload, helpers) => {
    await aggregate(aggregateMoviesPayload.parse(payload).movieIds, helpers.job.id);
  };
  const rematch: Task = async (_payload, helpers) => {
    const movieIds = await withTransaction(pool, async (client) => {
      const ids = await rematchUnmatched(client);
      await enqueueAggregation(client, ids);
      return ids;
    });
    logger.debug({ jobId: helpers.job.id, movies: movieIds.length }, 'rematched waiting rows');
  };
  return {
    [TASK.ingest]: ingest,
    [TASK.aggregateMovie]: aggregateMovie,
    [TASK.aggregateMovies]: aggregateChunk,
    [TASK.rematchUnmatched]: rematch,
  };
}
