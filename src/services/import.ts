import type pg from 'pg';
import { clearImportErrors } from '../db/import-errors.js';
import {
  createImportRun, failImportRun, findPreviousRun, finishImportRun, reportRowsRead, startImportRun, type FinalStatus,
} from '../db/import-runs.js';
import { enqueueIngest } from '../db/jobs.js';
import { isConnectionError, isTransientConflict } from '../db/errors.js';
import { withTransaction } from '../db/pool.js';
import { queueAggregationOfChanges } from '../db/record-changes.js';
import { clearStaging } from '../db/staging.js';
import { mergeRun } from '../ingest/merge.js';
import { StagingWriter } from '../ingest/staging.js';
import { storableText } from '../logging/secrets.js';
import { matchChanges } from '../matching/match-changed.js';
import { getAdapter } from '../sources/registry.js';
import { type SourceLocation } from '../sources/types.js';
import { SourceError } from '../errors.js';
import type { IngestSettings } from '../config.js';
import { DEFAULT_INPUT_LIMITS } from '../sources/limits.js';

export type ImportTrigger = 'cli' | 'api' | 'startup' | 'schedule' | 'inbox';
export type { FinalStatus };

export interface ImportOutcome {
  runId: string;
  status: FinalStatus;
  rowsRead: number;
  rowsChanged: number;
  rowsRejected: number;
  moviesQueued: number;
  error: string | null;
}

/** Records a QUEUED import run and queues its ingest job, atomically. Validates the location first. */
export async function queueImport(
  pool: pg.Pool,
  providerKey: string,
  location: SourceLocation,
  trigger: ImportTrigger,
): Promise<string> {
  // Any spelling of the provider's name; an unknown one is an UnknownProviderError.
  const adapter = getAdapter(providerKey);
  adapter.checkLocation(location);
  return withTransaction(pool, async (client) => {
    const runId = await createImportRun(client, adapter.definition.key, trigger, location);
    await enqueueIngest(client, runId);
    return runId;
  });
}

export interface ExecuteOptions {
  onProgress?: (done: number, total: number | null) => void;
  /** How often rows_read is written to the run while reading, for pollers. */
  progressEveryMs?: number;
  /** Input limits and withdrawal grace (config.ts ingestSettings); the defaults when absent. */
  settings?: IngestSettings;
}

/**
 * Runs an import: streams the provider input into staging (src/ingest/staging.ts), then in one
 * transaction merges it into provider_records (ingest/merge.ts), matches the changed records
 * (matching/match-changed.ts) and queues aggregation of the movies they touch; the changed
 * records pass from step to step as one explicit value (src/db/record-changes.ts). An input that
 * cannot be read fails the run and changes no provider record or movie; rejected rows make it
 * PARTIAL. Returns null when the run is not pending (already finished).
 */
export async function executeImport(pool: pg.Pool, runId: string, options: ExecuteOptions = {}): Promise<ImportOutcome | null> {
  const run = await startImportRun(pool, runId);
  if (!run) return null;
  // A RUNNING run is one whose worker died: start it over from a clean slate.
  await clearStaging(pool, runId);
  await clearImportErrors(pool, runId);

  const limits = options.settings?.limits ?? DEFAULT_INPUT_LIMITS;
  const staging = new StagingWriter(pool, runId, undefined, limits);
  try {
    const adapter = getAdapter(run.provider_key);
    const previousRun = await findPreviousRun(pool, run.provider_key, runId);
    let lastReport = Date.now();
    const context = { onProgress: options.onProgress, previousRun, limits };
    const report = async () => {
      if (Date.now() - lastReport > (options.progressEveryMs ?? 2000)) {
        lastReport = Date.now();
        await reportRowsRead(pool, runId, staging.counts.rowsRead);
      }
    };
    if (adapter.readBatches) {
      // Millions of lines: one step per batch, not per line.
      for await (const batch of adapter.readBatches(run.source, context)) {
        await staging.addBatch(batch);
        await report();
      }
    } else {
      for await (const item of adapter.read(run.source, context)) {
        await staging.add(item);
        await report();
      }
    }
    await staging.flush();

    return await withTransaction(pool, async (client) => {
      const merged = await mergeRun(client, runId, adapter.definition);
      await matchChanges(merged.changes);
      const moviesQueued = await queueAggregationOfChanges(merged.changes);
      await clearStaging(client, runId);
      const rejected = staging.counts.rejected + merged.duplicatesRejected;
      const status: FinalStatus = rejected > 0 ? 'PARTIAL' : 'SUCCEEDED';
      const outcome = { status, rowsRead: staging.counts.rowsRead, rowsChanged: merged.rowsChanged, rowsRejected: rejected, moviesQueued };
      await finishImportRun(client, runId, outcome);
      return { runId, ...outcome, error: null };
    });
  } catch (error) {
    // A lost database connection is not the input's fault: the job is retried and the run starts over.
    if (!(error instanceof SourceError) && (isConnectionError(error) || isTransientConflict(error))) {
      await staging.settle();
      throw error;
    }
    // The message is stored, printed and served (importRun): no secret, no NUL (PostgreSQL refuses it).
    const message = storableText(error instanceof SourceError ? error.message : `Import failed: ${(error as Error).message}`);
    await staging.settle();
    await clearStaging(pool, runId).catch(() => undefined);
    await failImportRun(pool, runId, message, staging.counts.rowsRead, staging.counts.rejected);
    return {
      runId, status: 'FAILED', rowsRead: staging.counts.rowsRead, rowsChanged: 0,
      rowsRejected: staging.counts.rejected, moviesQueued: 0, error: message,
    };
  }
}
