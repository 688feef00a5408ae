import type pg from 'pg';
import { recordImportErrors } from '../db/import-errors.js';
import { mergeStagedRun, type ChangedRecords } from '../db/record-changes.js';
import type { ProviderDefinition } from '../sources/types.js';

export interface MergedRun {
  rowsChanged: number;
  /** Repeated rows of one external id beyond the kept (last) one: rejected. */
  duplicatesRejected: number;
  /** The records this run changed, for matching and queueing aggregation (src/db/record-changes.ts). */
  changes: ChangedRecords;
}

/**
 * Merges a run's staging rows into provider_records, inside the caller's transaction: only new or
 * changed rows are written (by content hash). An external id repeated in the input keeps its last
 * row; each repetition is recorded as an import error.
 */
export async function mergeRun(client: pg.PoolClient, runId: string, provider: ProviderDefinition): Promise<MergedRun> {
  const primaryKind = Object.keys(provider.ratingScales)[0] ?? 'users';
  const merged = await mergeStagedRun(client, runId, provider.key, primaryKind);
  await recordImportErrors(
    client,
    runId,
    merged.duplicates.map((d) => ({
      reason: `${d.externalId} appears ${d.count} times in the input; the last row${d.keptLine ? ` (line ${d.keptLine})` : ''} was kept`,
      reference: d.externalId,
    })),
  );
  return {
    rowsChanged: merged.rowsChanged,
    duplicatesRejected: merged.duplicates.reduce((n, d) => n + d.count - 1, 0),
    changes: merged.changes,
  };
}
