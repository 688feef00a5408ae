import type { Task } from 'graphile-worker';
import type pg from 'pg';
import { activeRunOf } from '../db/import-runs.js';
import { queueImport } from '../services/import.js';
import { defineTask, JOB } from '../jobs.js';
import type { Logger } from '../logger.js';
import { getAdapter } from '../sources/registry.js';

/**
 * The `scheduled-import` task: queues an import run with trigger `schedule`, unless the provider
 * already has a run queued or running (a slow nightly import is not stacked on by the next one).
 */
export function scheduledImportTask(pool: pg.Pool, logger: Logger): Task {
  return defineTask(JOB.scheduledImport, async (payload, helpers) => {
    // An unknown provider (a module no longer in MOVIEC_PROVIDER_MODULES) fails the job, naming it.
    const provider = getAdapter(payload.provider).definition.key;
    const log = logger.child({ jobId: helpers.job.id, provider });
    const active = await activeRunOf(pool, provider);
    if (active) {
      log.info({ runId: active.id }, `scheduled ${provider} import skipped: run ${active.id} is still ${active.status}`);
      return;
    }
    const runId = await queueImport(pool, provider, payload.location, 'schedule');
    log.info({ runId }, `scheduled ${provider} import queued as run ${runId}`);
  });
}
