import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/**
 * The staging tables (UNLOGGED import_staging_records / import_staging_ratings): what a running
 * import has read, held until the whole input is read and merged (record-changes.ts) in one
 * transaction. Written with COPY.
 */

export interface StagedRecordRow {
  external_id: string;
  line: number | null;
  /** The SourceRecord with snake_case keys. */
  record: Record<string, unknown>;
}

export interface StagedRatingRow {
  external_id: string;
  kind: string;
  value: number;
  votes: number | null;
  line: number | null;
  /** ISO 8601, when the provider dates the rating. */
  source_updated_at: string | null;
}

/** One staged record as a line of COPY text for copyStaged('records', …). */
export function stagedRecordLine(runId: string, r: StagedRecordRow): string {
  return `${runId}\t${copyText(r.external_id)}\t${r.line ?? '\\N'}\t${copyText(JSON.stringify(r.record))}\n`;
}

/** One staged rating as a line of COPY text for copyStaged('ratings', …). */
export function stagedRatingLine(runId: string, r: StagedRatingRow): string {
  return `${runId}\t${copyText(r.external_id)}\t${copyText(r.kind)}\t${r.value}\t${r.votes ?? '\\N'}\t${r.line ?? '\\N'}\t${r.source_updated_at === null ? '\\N' : copyText(r.source_updated_at)}\n`;
}

const STAGING_TARGETS = {
  records: 'import_staging_records (run_id, external_id, line, record)',
  ratings: 'import_staging_ratings (run_id, external_id, kind, value, votes, line, source_updated_at)',
} as const;

/**
 * COPY FROM STDIN of text already in COPY's format (lines of stagedRecordLine / stagedRatingLine,
 * as UTF-8 bytes) into a staging table, on a client of its own; returns the bytes sent.
 */
export async function copyStaged(pool: pg.Pool, table: keyof typeof STAGING_TARGETS, text: Buffer): Promise<number> {
  if (!text.length) return 0;
  const client = await pool.connect();
  try {
    // In pieces of 64 KB, as the socket takes them.
    const pieces = function* () {
      for (let at = 0; at < text.length; at += 65_536) yield text.subarray(at, at + 65_536);
    };
    await pipeline(Readable.from(pieces()), client.query(copyFrom(`COPY ${STAGING_TARGETS[table]} FROM STDIN`)));
    return text.length;
  } finally {
    client.release();
  }
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A value in COPY's text format: backslash, newline, carriage return and tab escaped. */
export function copyText(value: string): string {
  return /[\\\n\r\t]/.test(value) ? value.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]!) : value;
}

export async function clearStaging(db: pg.Pool | pg.PoolClient, runId: string): Promise<void> {
  await db.query('DELETE FROM import_staging_records WHERE run_id = $1', [runId]);
  await db.query('DELETE FROM import_staging_ratings WHERE run_id = $1', [runId]);
}
