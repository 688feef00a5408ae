import type { TaskList } from 'graphile-worker';
import type pg from 'pg';
import { faultPoint } from '../fault-points.js';
import { defineTask, JOB } from '../jobs.js';
import { executeImport } from '../services/import.js';
import type { Logger } from '../logger.js';
import { withTransaction } from '../db/pool.js';
import { rematchUnmatched } from '../matching/match-changed.js';
import { enqueueAggregateScoredMovies, enqueueRefit } from '../db/scoring-jobs.js';
import { refitPriors } from '../scoring/priors.js';
import { providerDefinitions } from '../sources/registry.js';
import { AGGREGATE_CHUNK, enqueueAggregation, pendingAggregationJobs, REFIT_DELAY_SECONDS } from '../db/jobs.js';
import {
  aggregateAndInvalidate, aggregateChunk as aggregateMoviesChunk, aggregateFirstLoad as aggregateFirstLoadMovies, type Invalidate,
} from '../services/aggregation.js';
import { reportInputProgress } from './import-progress.js';
import { WEBHOOK_DELIVER_TASK } from '../db/webhooks.js';
import { webhookSettings, type WebhookSettings } from '../services/partners-env.js';
import { defaultConfig, ingestSettings, type Config, type IngestSettings } from '../config.js';
import { webhookDeliverTask } from './webhook-task.js';

export interface TaskDependencies {
  pool: pg.Pool;
  logger: Logger;
  /**
   * The configuration, parsed once by the entry point: imports read provider credentials from it,
   * webhook delivery its settings. Absent: every default (nothing read from the environment).
   */
  config?: Config;
  /**
   * Called after aggregation committed changes, to invalidate caches: the ids, or 'all' after a
   * bulk rebuild of the catalogue (services/aggregation.ts invalidateThrough(cache)).
   */
  invalidate?: Invalidate;
  /** Debounce of the scoring refit after an import (REFIT_DELAY_SECONDS by default). */
  refitDelaySeconds?: number;
  /** Webhook delivery settings; from `config` when absent. */
  webhooks?: WebhookSettings;
  /** Input limits and withdrawal grace of imports (config.ts ingestSettings); the defaults when absent. */
  ingest?: IngestSettings;
  /** When an aggregate-movies job rebuilds the catalogue in bulk (BULK_JOB_THRESHOLDS by default; tests lower them). */
  bulkAggregation?: { minFresh: number; minQueuedJobs: number };
}

/** The Graphile Worker tasks: ingest one import run; aggregate one movie, a chunk of movies or a first load; refit the scoring; deliver webhooks. */
export function createTaskList({
  pool, logger, config, invalidate, refitDelaySeconds = REFIT_DELAY_SECONDS, webhooks, ingest: settings, bulkAggregation,
}: TaskDependencies): TaskList {
  const delivery = webhooks ?? webhookSettings(config ?? defaultConfig());
  const aggregate = async (ids: string[], jobId: string, takeQueued = 0) => {
    const outcome = await aggregateAndInvalidate({ pool, invalidate }, ids, {
      beforeStart: () => faultPoint('aggregate.starting', { jobId, movies: ids.length }),
      afterCommit: () => faultPoint('aggregate.committed', { jobId, movies: ids.length }),
      takeQueued,
    });
    logger.debug({ jobId, changed: outcome.changed.length, removed: outcome.removed.length, taken: outcome.taken }, 'aggregated');
  };
  const ingest = defineTask(JOB.ingest, async ({ runId }, helpers) => {
    const outcome = await executeImport(pool, runId, {
      config, onProgress: (done, total) => reportInputProgress(runId, done, total), settings: settings ?? (config ? ingestSettings(config) : undefined),
    });
    if (outcome) logger.info({ jobId: helpers.job.id, ...outcome }, `import run ${runId} ${outcome.status}`);
    // Ratings changed: priors and calibrations refit by themselves once the aggregation is done.
    if (outcome && outcome.moviesQueued > 0) await enqueueRefit(pool, refitDelaySeconds);
  });
  const refit = defineTask(JOB.refitScoring, async (_payload, helpers) => {
    // A first load's job fits the scoring in its bulk rebuild, or queues this refit again after its chunks.
    if ((await pendingAggregationJobs(pool, [JOB.aggregateFirstLoad])) > 0) return;
    // The fit reads the curated ratings: wait until the import's aggregation has written them.
    if ((await pendingAggregationJobs(pool)) > 0) {
      await enqueueRefit(pool, refitDelaySeconds);
      return;
    }
    const outcome = await refitPriors(pool, providerDefinitions(), 'after import');
    // A new fit moves scores: every scored movie is re-aggregated in the background, in chunks.
    const jobs = outcome.adopted ? await enqueueAggregateScoredMovies(pool, AGGREGATE_CHUNK) : 0;
    logger.info({ jobId: helpers.job.id, ...outcome, jobs }, outcome.adopted ? `scoring fit ${outcome.version} adopted` : `scoring fit ${outcome.version} kept`);
  });
  // A per-movie job takes the other per-movie jobs waiting in the queue with it (up to a chunk):
  // a burst of them costs what one aggregate-movies chunk does, not a transaction each.
  const aggregateMovie = defineTask(JOB.aggregateMovie, ({ movieId }, helpers) => aggregate([movieId], helpers.job.id, AGGREGATE_CHUNK - 1));
  // A chunk of a first import's movies may rebuild the whole catalogue in bulk, taking the other chunks with it.
  const aggregateChunk = defineTask(JOB.aggregateMovies, async ({ movieIds }, helpers) => {
    const jobId = helpers.job.id;
    const outcome = await aggregateMoviesChunk({ pool, invalidate }, movieIds, {
      beforeStart: () => faultPoint('aggregate.starting', { jobId, movies: movieIds.length }),
      afterCommit: () => faultPoint('aggregate.committed', { jobId, movies: movieIds.length }),
      ...(bulkAggregation ? { bulk: bulkAggregation } : {}),
    });
    if (outcome.rebuilt) logger.info({ jobId, ...outcome.rebuilt, fit: outcome.fit }, 'aggregated the catalogue in bulk');
    else logger.debug({ jobId, changed: outcome.changed.length, removed: outcome.removed.length }, 'aggregated');
  });
  // A first load's movies: the catalogue rebuilt in bulk, or its never-aggregated movies queued in chunks.
  const aggregateFirstLoad = defineTask(JOB.aggregateFirstLoad, async (_payload, helpers) => {
    const jobId = helpers.job.id;
    const { rebuilt, queued } = await aggregateFirstLoadMovies({ pool, invalidate }, {
      refitDelaySeconds,
      beforeStart: () => faultPoint('aggregate.starting', { jobId, firstLoad: true }),
      afterCommit: () => faultPoint('aggregate.committed', { jobId, firstLoad: true }),
      ...(bulkAggregation ? { bulk: bulkAggregation } : {}),
    });
    if (rebuilt) logger.info({ jobId, ...rebuilt.rebuilt, fit: rebuilt.fit }, 'aggregated the catalogue in bulk');
    else logger.info({ jobId, movies: queued }, 'queued the first load\'s movies in chunks');
  });
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
    [JOB.aggregateFirstLoad]: aggregateFirstLoad,
    [JOB.rematchUnmatched]: rematch,
    [JOB.refitScoring]: refit,
    [WEBHOOK_DELIVER_TASK]: webhookDeliverTask(pool, logger, () => delivery),
  };
}
