import type pg from 'pg';
import { clearImportErrors, copyImportErrors } from '../db/import-errors.js';
import {
  createImportRun, failImportRun, findPreviousRun, findRunOfSameInput, finishImportRun, reportRowsRead, startImportRun, type FinalStatus,
} from '../db/import-runs.js';
import { claimIngestJob, completeClaimedJob, enqueueIngest, reclaimIngestJob } from '../db/jobs.js';
import { isConnectionError, isTransientConflict } from '../db/errors.js';
import { ping, withTransaction } from '../db/pool.js';
import { queueAggregationOfChanges } from '../db/record-changes.js';
import { clearStaging } from '../db/staging.js';
import { mergeRun } from '../ingest/merge.js';
import { HeapKeeper } from '../ingest/heap.js';
import { StagingWriter } from '../ingest/staging.js';
import { storableText } from '../logging/secrets.js';
import { matchChanges } from '../matching/match-changed.js';
import { getAdapter } from '../sources/registry.js';
import { type ProviderConfig, type SourceLocation } from '../sources/types.js';
import { SourceError } from '../errors.js';
import { DEFAULT_WITHDRAW_GRACE_DAYS, type IngestSettings } from '../config.js';
import { DEFAULT_INPUT_LIMITS } from '../sources/limits.js';
import { riding } from './import-wait.js';
import { applyDueWithdrawals, markSnapshotSeen } from '../db/withdrawals.js';
import { inputDigest } from '../sources/input-digest.js';

export type ImportTrigger = 'cli' | 'api' | 'startup' | 'schedule' | 'inbox';
export type { FinalStatus };

export interface ImportOutcome {
  runId: string;
  status: FinalStatus;
  rowsRead: number;
  rowsChanged: number;
  rowsRejected: number;
  moviesQueued: number;
  /** Records of the provider a full-snapshot run newly found missing from its input (withdrawn). */
  rowsWithdrawn: number;
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

/**
 * An import run claimed by the process that runs it itself (`moviec import`): its ingest job is
 * locked under `claimer` (a worker id, `pool-…`), so no worker takes it.
 */
export interface ImportClaim {
  runId: string;
  jobId: string;
  claimer: string;
}

/**
 * Records a run and its ingest job claimed by this process, atomically (validates the location
 * first). The process must hold a liveness connection named after `claimer` (src/workers/recovery.ts):
 * if it dies, recovery releases the job and the next worker finishes the run.
 */
export async function claimImport(
  pool: pg.Pool,
  providerKey: string,
  location: SourceLocation,
  trigger: ImportTrigger,
  claimer: string,
): Promise<ImportClaim> {
  const adapter = getAdapter(providerKey);
  adapter.checkLocation(location);
  return withTransaction(pool, async (client) => {
    const runId = await createImportRun(client, adapter.definition.key, trigger, location);
    await enqueueIngest(client, runId);
    const jobId = await claimIngestJob(client, runId, claimer);
    return { runId, jobId, claimer };
  });
}

/**
 * Runs a claimed import in this process (executeImport), then completes its job. A database
 * outage is ridden out for `outage.ms` (then DatabaseUnavailableError: the job is released by
 * recovery once this process is gone); when the database returns, the run starts over here if the
 * job is still, or again, this process's. Returns null when another worker took the run over
 * meanwhile (follow it with waitForRun).
 */
export async function executeClaimedImport(
  pool: pg.Pool,
  claim: ImportClaim,
  options: ExecuteOptions & { outage: { ms: number; onOutage: (error: unknown) => void } },
): Promise<ImportOutcome | null> {
  for (;;) {
    try {
      const outcome = await executeImport(pool, claim.runId, options);
      await completeClaimedJob(pool, claim.jobId, claim.claimer);
      return outcome;
    } catch (error) {
      if (!isConnectionError(error) && !isTransientConflict(error)) throw error;
      await riding(() => ping(pool), options.outage.ms, options.outage.onOutage);
      if (!(await riding(() => reclaimIngestJob(pool, claim.jobId, claim.claimer), options.outage.ms, options.outage.onOutage))) return null;
    }
  }
}

/** The steps of an import as they happen (`moviec import` shows them). */
export type ImportPhase = 'reading' | 'merging' | 'matching';

export interface ExecuteOptions {
  /** The configuration the adapter reads its credentials from (TMDB_API_TOKEN); absent: nothing configured. */
  config?: ProviderConfig;
  onProgress?: (done: number, total: number | null) => void;
  /** Each step as it starts. */
  onPhase?: (phase: ImportPhase) => void;
  /** Rows read so far, with each progress report of the input. */
  onRows?: (rowsRead: number) => void;
  /** How often rows_read is written to the run while reading, for pollers. */
  progressEveryMs?: number;
  /** Input limits and withdrawal grace (config.ts ingestSettings); the defaults when absent. */
  settings?: IngestSettings;
  /** The time of the run for withdrawals (tests inject a later one instead of waiting out the grace period). */
  now?: Date;
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
    options.onPhase?.('reading');
    const adapter = getAdapter(run.provider_key);
    // The same files as the provider's last finished run: nothing to read (issue 18 point 4).
    const fullSnapshot = adapter.isFullSnapshot?.(run.source) ?? false;
    const digest = fullSnapshot ? await inputDigest(adapter.definition.key, run.source).catch(() => null) : null;
    const same = digest ? await findRunOfSameInput(pool, adapter.definition.key, runId, digest) : null;
    if (digest && same) return await finishUnchangedInput(pool, runId, adapter.definition.key, same, digest, options);
    const previousRun = await findPreviousRun(pool, run.provider_key, runId);
    let lastReport = Date.now();
    // Input progress comes with every chunk read: the heap is kept near its live size as it goes.
    const heap = new HeapKeeper();
    const onProgress = (done: number, total: number | null) => {
      heap.tick();
      if (!options.onProgress) return;
      options.onRows?.(staging.counts.rowsRead);
      options.onProgress(done, total);
    };
    const context = { onProgress, previousRun, limits, config: options.config };
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
    options.onRows?.(staging.counts.rowsRead);
    // The input's garbage goes now, not during the merge or the aggregation that may follow in
    // this process (moviec import runs a worker once the run is merged).
    HeapKeeper.collectNow();

    return await withTransaction(pool, async (client) => {
      options.onPhase?.('merging');
      const now = options.now ?? new Date();
      const merged = await mergeRun(client, runId, adapter.definition, { fullSnapshot, now, distinctIds: staging.idsDistinct });
      options.onPhase?.('matching');
      await matchChanges(merged.changes);
      let moviesQueued = await queueAggregationOfChanges(merged.changes);
      // Withdrawals (any provider's) whose grace period is over: their movies are re-aggregated without them.
      const due = await applyDueWithdrawals(client, now, options.settings?.withdrawGraceDays ?? DEFAULT_WITHDRAW_GRACE_DAYS);
      if (due.count) moviesQueued += await queueAggregationOfChanges(due);
      await clearStaging(client, runId);
      const rejected = staging.counts.rejected + merged.duplicatesRejected;
      const status: FinalStatus = rejected > 0 ? 'PARTIAL' : 'SUCCEEDED';
      const outcome = {
        status, rowsRead: staging.counts.rowsRead, rowsChanged: merged.rowsChanged, rowsRejected: rejected, moviesQueued, rowsWithdrawn: merged.withdrawn,
      };
      await finishImportRun(client, runId, { ...outcome, inputDigest: digest });
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
      rowsRejected: staging.counts.rejected, moviesQueued: 0, rowsWithdrawn: 0, error: message,
    };
  }
}

/**
 * A full-snapshot run whose input is byte for byte the input of the provider's last finished run
 * (src/sources/input-digest.ts): reading it again would stage the same rows and change nothing, so
 * the run takes that run's counts and rejected rows, dates the snapshot as seen (every record it
 * kept was in it: providers.snapshot_seen_at), and applies the withdrawals whose grace is over, as
 * every import does. Nothing is rewritten or re-aggregated.
 */
async function finishUnchangedInput(
  pool: pg.Pool, runId: string, providerKey: string, same: { id: string; status: 'SUCCEEDED' | 'PARTIAL'; rowsRead: number; rowsRejected: number },
  digest: string, options: ExecuteOptions,
): Promise<ImportOutcome> {
  options.onRows?.(same.rowsRead);
  return await withTransaction(pool, async (client) => {
    options.onPhase?.('merging');
    await copyImportErrors(client, same.id, runId);
    if (same.rowsRead > 0) await markSnapshotSeen(client, providerKey);
    const due = await applyDueWithdrawals(client, options.now ?? new Date(), options.settings?.withdrawGraceDays ?? DEFAULT_WITHDRAW_GRACE_DAYS);
    const moviesQueued = due.count ? await queueAggregationOfChanges(due) : 0;
    const outcome = { status: same.status, rowsRead: same.rowsRead, rowsChanged: 0, rowsRejected: same.rowsRejected, moviesQueued, rowsWithdrawn: 0 };
    await finishImportRun(client, runId, { ...outcome, inputDigest: digest });
    return { runId, ...outcome, error: null };
  });
}
