import type pg from 'pg';
import { recordImportErrors } from '../db/import-errors.js';
import { KEPT_COLUMNS, mergeStagedRun, type BlankKeeps, type ChangedRecords, type KeptColumn } from '../db/record-changes.js';
import { markSnapshotSeen, markVanishedRecords } from '../db/withdrawals.js';
import type { ProviderDefinition } from '../sources/types.js';

export interface MergedRun {
  rowsChanged: number;
  /** Repeated rows of one external id beyond the kept (last) one: rejected. */
  duplicatesRejected: number;
  /** The records this run changed, for matching and queueing aggregation (src/db/record-changes.ts). */
  changes: ChangedRecords;
  /** Records of the provider this full-snapshot run newly found missing (withdrawn); 0 for a partial input. */
  withdrawn: number;
}

export interface MergeOptions {
  /** The input is the provider's whole catalogue: records it did not see are withdrawn. */
  fullSnapshot: boolean;
  /** The time withdrawals are stamped with (injected by tests). */
  now: Date;
  /** The staged records' external ids are known to be distinct (StagingWriter.idsDistinct). */
  distinctIds?: boolean;
}

/**
 * Merges a run's staging rows into provider_records, inside the caller's transaction: only new or
 * changed rows are written (by content hash). An external id repeated in the input keeps its last
 * row; each repetition is recorded as an import error.
 */
export async function mergeRun(
  client: pg.PoolClient, runId: string, provider: ProviderDefinition, options: MergeOptions = { fullSnapshot: false, now: new Date() },
): Promise<MergedRun> {
  const primaryKind = Object.keys(provider.ratingScales)[0] ?? 'users';
  const merged = await mergeStagedRun(client, runId, provider.key, primaryKind, blankKeeps(provider), options.fullSnapshot, options.distinctIds);
  // A full file withdraws what it lacks (one statement) and dates every record it kept; an input
  // that held no record at all is taken for a broken export rather than a provider that withdrew
  // its whole catalogue.
  let withdrawn = 0;
  if (options.fullSnapshot && merged.recordsSeen > 0) {
    // A first load stored nothing before: nothing can have vanished.
    if (!merged.firstLoad) withdrawn = await markVanishedRecords(client, provider.key, options.now);
    await markSnapshotSeen(client, provider.key);
  }
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
    withdrawn,
  };
}

/** The provider's field rules (ProviderDefinition.fieldRules; blank keeps by default) as the merge applies them. */
export function blankKeeps(provider: ProviderDefinition): BlankKeeps {
  const rules = provider.fieldRules ?? { blank: 'keep' as const };
  const ruleOf = (field: string) => rules.fields?.[field as keyof typeof rules.fields] ?? rules.blank;
  return {
    columns: (Object.keys(KEPT_COLUMNS) as KeptColumn[]).filter((field) => ruleOf(field) === 'keep'),
    ratingKinds: Object.keys(provider.ratingScales).filter((kind) => ruleOf(`rating.${kind}`) === 'keep'),
  };
}
