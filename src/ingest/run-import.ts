import type pg from 'pg';
import { isConnectionError } from '../db/errors.js';
import { withTransaction } from '../db/pool.js';
import { matchChangedRecordsInto } from '../matching/match-changed.js';
import { getAdapter } from '../sources/registry.js';
import { SourceError, type SourceLocation } from '../sources/types.js';
import { enqueueChangedMovies, enqueueIngest } from '../workers/enqueue.js';
import { mergeStagedRun } from './merge.js';
import { clearStaging, recordImportErrors, StagingWriter } from './staging.js';
import { scrubUrlCredentials } from '../logging/secrets.js';

export type ImportTrigger = 'cli' | 'api' | 'startup' | 'schedule' | 'inbox';
export type FinalStatus = 'SUCCEEDED' | 'PARTIAL' | 'FAILED';

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
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO import_runs (provider_key, trigger, source) VALUES ($1, $2, $3) RETURNING id`,
      [adapter.definition.key, trigger, JSON.stringify(location)],
    );
    const runId = rows[0]!.id;
    await enqueueIngest(client, runId);
    return runId;
  });
}

export interface ExecuteOptions {
  onProgress?: (done: number, total: number | null) => void;
  /** How often rows_read is written to the run while reading, for pollers. */
  progressEveryMs?: number;
}

/**
 * Runs an import: streams the provider input into staging, then merges, matches and queues
 * aggregation in one transaction. An input that cannot be read fails the run and changes no
 * provider record or movie; rejected rows make it PARTIAL. Returns null when the run is not
 * pending (already finished).
 */
export async function executeImport(pool: pg.Pool, runId: string, options: ExecuteOptions = {}): Promise<ImportOutcome | null> {
  const { rows } = await pool.query<{ provider_key: string; source: SourceLocation }>(
    `UPDATE import_runs SET status = 'RUNNING', started_at = now(), finished_at = NULL, error = NULL,
            rows_read = 0, rows_changed = 0, rows_rejected = 0, movies_queued = 0
      WHERE id = $1 AND status IN ('QUEUED', 'RUNNING') RETURNING provider_key, source`,
    [runId],
  );
  const run = rows[0];
  if (!run) return null;
  // A RUNNING run is one whose worker died: start it over from a clean slate.
  await clearStaging(pool, runId);
  await pool.query('DELETE FROM import_errors WHERE run_id = $1', [runId]);

  const staging = new StagingWriter(pool, runId);
  try {
    const adapter = getAdapter(run.provider_key);
    const previousRun = await findPreviousRun(pool, run.provider_key, runId);
    let lastReport = Date.now();
    for await (const item of adapter.read(run.source, { onProgress: options.onProgress, previousRun })) {
      await staging.add(item);
      if (Date.now() - lastReport > (options.progressEveryMs ?? 2000)) {
        lastReport = Date.now();
        await pool.query('UPDATE import_runs SET rows_read = $2 WHERE id = $1', [runId, staging.counts.rowsRead]);
      }
    }
    await staging.flush();

    return await withTransaction(pool, async (client) => {
      const merged = await mergeStagedRun(client, runId, adapter.definition);
      const duplicateRejects = merged.duplicates.map((d) => ({
        reason: `${d.externalId} appears ${d.count} times in the input; the last row${d.keptLine ? ` (line ${d.keptLine})` : ''} was kept`,
        reference: d.externalId,
      }));
      if (duplicateRejects.length) await recordImportErrors(client, runId, duplicateRejects);
      // The changed movies' ids stay in the database (changed_movies), whatever the import's size.
      const moviesQueued = await matchChangedRecordsInto(client);
      await enqueueChangedMovies(client, moviesQueued);
      await clearStaging(client, runId);
      const rejected = staging.counts.rejected + merged.duplicates.reduce((n, d) => n + d.count - 1, 0);
      const status: FinalStatus = rejected > 0 ? 'PARTIAL' : 'SUCCEEDED';
      await client.query(
        `UPDATE import_runs SET status = $2, rows_read = $3, rows_changed = $4, rows_rejected = $5,
                movies_queued = $6, finished_at = now() WHERE id = $1`,
        [runId, status, staging.counts.rowsRead, merged.rowsChanged, rejected, moviesQueued],
      );
      return {
        runId, status, rowsRead: staging.counts.rowsRead, rowsChanged: merged.rowsChanged,
        rowsRejected: rejected, moviesQueued, error: null,
      };
    });
  } catch (error) {
    // A lost database connection is not the input's fault: the job is retried and the run starts over.
    if (!(error instanceof SourceError) && isConnectionError(error)) {
      await staging.settle();
      throw error;
    }
    // The message is stored, printed and served (importRun): a password in a source URL stays out of it.
    const message = scrubUrlCredentials(error instanceof SourceError ? error.message : `Import failed: ${(error as Error).message}`);
    await staging.settle();
    await clearStaging(pool, runId).catch(() => undefined);
    await pool.query(
      `UPDATE import_runs SET status = 'FAILED', error = $2, rows_read = $3, rows_rejected = $4, finished_at = now() WHERE id = $1`,
      [runId, message, staging.counts.rowsRead, staging.counts.rejected],
    );
    return {
      runId, status: 'FAILED', rowsRead: staging.counts.rowsRead, rowsChanged: 0,
      rowsRejected: staging.counts.rejected, moviesQueued: 0, error: message,
    };
  }
}

async function findPreviousRun(pool: pg.Pool, providerKey: string, runId: string) {
  const { rows } = await pool.query<{ id: string; startedAt: Date; finishedAt: Date; source: SourceLocation }>(
    `SELECT id, started_at AS "startedAt", finished_at AS "finishedAt", source FROM import_runs
      WHERE provider_key = $1 AND id <> $2 AND status IN ('SUCCEEDED', 'PARTIAL')
        AND NOT source ? 'ids' -- a run for a few chosen movies is no point to resume a full sync from
      ORDER BY finished_at DESC LIMIT 1`,
    [providerKey, runId],
  );
  return rows[0] ?? null;
}
