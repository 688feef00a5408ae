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

/** Writes staged records; returns the bytes written (the COPY text's length). */
export async function copyStagedRecords(pool: pg.Pool, runId: string, records: StagedRecordRow[]): Promise<number> {
  if (!records.length) return 0;
  return await copyInto(
    pool,
    'import_staging_records (run_id, external_id, line, record)',
    records.map((r) => `${runId}\t${copyText(r.external_id)}\t${r.line ?? '\\N'}\t${copyText(JSON.stringify(r.record))}\n`),
  );
}

/** Writes staged ratings; returns the bytes written (the COPY text's length). */
export async function copyStagedRatings(pool: pg.Pool, runId: string, ratings: StagedRatingRow[]): Promise<number> {
  if (!ratings.length) return 0;
  return await copyInto(
    pool,
    'import_staging_ratings (run_id, external_id, kind, value, votes, line, source_updated_at)',
    ratings
      .map((r) =>
        `${runId}\t${copyText(r.external_id)}\t${copyText(r.kind)}\t${r.value}\t${r.votes ?? '\\N'}\t${r.line ?? '\\N'}\t${r.source_updated_at === null ? '\\N' : copyText(r.source_updated_at)}\n`),
  );
}

/** Most characters per piece of COPY text sent: small strings stay in V8's young generation. */
const COPY_PIECE = 64 * 1024;

/**
 * COPY FROM STDIN of rows already in COPY's text format, on a client of its own, sent in pieces of
 * about COPY_PIECE characters (one string of a whole batch, megabytes, would churn V8's large-object
 * space and grow the process with the input); returns the characters sent.
 */
async function copyInto(pool: pg.Pool, target: string, rows: string[]): Promise<number> {
  let length = 0;
  function* pieces(): Generator<string> {
    let piece = '';
    for (const row of rows) {
      length += row.length;
      piece += row;
      if (piece.length >= COPY_PIECE) {
        yield piece;
        piece = '';
      }
    }
    if (piece) yield piece;
  }
  const client = await pool.connect();
  try {
    await pipeline(Readable.from(pieces()), client.query(copyFrom(`COPY ${target} FROM STDIN`)));
    return length;
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
