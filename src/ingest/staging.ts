import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { faultPoint } from '../fault-points.js';
import type { SourceItem, SourceRecord } from '../sources/types.js';

type Reject = Extract<SourceItem, { type: 'reject' }>;
type StagedRating = Extract<SourceItem, { type: 'rating' }>;

export interface StagingCounts {
  rowsRead: number;
  records: number;
  ratings: number;
  rejected: number;
}

/**
 * Buffers what an adapter yields and writes it to the staging tables with COPY (and rejects to
 * import_errors), one batch at a time. A batch is written while the next one is read, so the
 * parsing and the database work overlap; at most one batch is in flight, so memory stays bounded
 * and staging ids keep the input's order (the merge keeps the last of repeated rows).
 */
export class StagingWriter {
  private records: { external_id: string; line: number | null; record: Record<string, unknown> }[] = [];
  private ratings: { external_id: string; kind: string; value: number; votes: number | null; line: number | null }[] = [];
  private rejects: Reject[] = [];
  private inflight: Promise<void> = Promise.resolve();
  readonly counts: StagingCounts = { rowsRead: 0, records: 0, ratings: 0, rejected: 0 };

  constructor(
    private readonly pool: pg.Pool,
    private readonly runId: string,
    private readonly batchSize = 5000,
  ) {}

  async add(item: SourceItem): Promise<void> {
    this.counts.rowsRead++;
    if (item.type === 'skip') return;
    if (item.type === 'record') {
      this.records.push({ external_id: item.record.externalId, line: item.line ?? null, record: toStagedRecord(item.record) });
      this.counts.records++;
    } else if (item.type === 'rating') {
      this.ratings.push(toStagedRating(item));
      this.counts.ratings++;
    } else {
      this.rejects.push(item);
      this.counts.rejected++;
    }
    if (this.records.length + this.ratings.length + this.rejects.length >= this.batchSize) {
      await this.inflight;
      const write = this.writeBatch();
      // Observed by the next add() or flush(); this keeps a failure from counting as unhandled meanwhile.
      write.catch(() => undefined);
      this.inflight = write;
    }
  }

  /** Writes what is buffered, after the batch in flight. */
  async flush(): Promise<void> {
    await this.inflight;
    await this.writeBatch();
  }

  /** Waits for the batch in flight, ignoring its failure: before a failed run's staging is cleared. */
  async settle(): Promise<void> {
    await this.inflight.catch(() => undefined);
  }

  private async writeBatch(): Promise<void> {
    const records = this.records;
    const ratings = this.ratings;
    const rejects = this.rejects;
    this.records = [];
    this.ratings = [];
    this.rejects = [];
    if (records.length) {
      const run = this.runId;
      await copyInto(
        this.pool,
        'import_staging_records (run_id, external_id, line, record)',
        records.map((r) => `${run}\t${copyText(r.external_id)}\t${r.line ?? '\\N'}\t${copyText(JSON.stringify(r.record))}\n`).join(''),
      );
    }
    if (ratings.length) {
      const run = this.runId;
      await copyInto(
        this.pool,
        'import_staging_ratings (run_id, external_id, kind, value, votes, line)',
        ratings
          .map((r) => `${run}\t${copyText(r.external_id)}\t${copyText(r.kind)}\t${r.value}\t${r.votes ?? '\\N'}\t${r.line ?? '\\N'}\n`)
          .join(''),
      );
    }
    if (rejects.length) await recordImportErrors(this.pool, this.runId, rejects);
    faultPoint('staging.batch-written', { runId: this.runId, records: records.length, ratings: ratings.length });
  }
}

/** COPY FROM STDIN of rows already in COPY's text format, on a client of its own. */
async function copyInto(pool: pg.Pool, target: string, rows: string): Promise<void> {
  const client = await pool.connect();
  try {
    await pipeline(Readable.from([rows]), client.query(copyFrom(`COPY ${target} FROM STDIN`)));
  } finally {
    client.release();
  }
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A value in COPY's text format: backslash, newline, carriage return and tab escaped. */
export function copyText(value: string): string {
  return /[\\\n\r\t]/.test(value) ? value.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]!) : value;
}

export async function recordImportErrors(
  db: pg.Pool | pg.PoolClient,
  runId: string,
  rejects: { reason: string; line?: number; reference?: string; excerpt?: string }[],
): Promise<void> {
  await db.query(
    `INSERT INTO import_errors (run_id, line, reference, reason, excerpt)
     SELECT $1, x.line, x.reference, x.reason, x.excerpt
       FROM jsonb_to_recordset($2::jsonb) AS x(line int, reference text, reason text, excerpt text)`,
    [
      runId,
      JSON.stringify(
        rejects.map((r) => ({ line: r.line ?? null, reference: r.reference ?? null, reason: r.reason, excerpt: r.excerpt ?? null })),
      ),
    ],
  );
}

export async function clearStaging(db: pg.Pool | pg.PoolClient, runId: string): Promise<void> {
  await db.query('DELETE FROM import_staging_records WHERE run_id = $1', [runId]);
  await db.query('DELETE FROM import_staging_ratings WHERE run_id = $1', [runId]);
}

function toStagedRecord(record: SourceRecord): Record<string, unknown> {
  return {
    title: record.title,
    original_title: record.originalTitle,
    year: record.year,
    release_date: record.releaseDate,
    runtime_minutes: record.runtimeMinutes,
    genres: record.genres,
    ratings: record.ratings,
    imdb_id: record.imdbId,
    tmdb_id: record.tmdbId,
    directors: record.directors?.length ? record.directors : undefined,
    overview: record.overview,
    poster_url: record.posterUrl,
    is_adult: record.isAdult,
    payload: record.payload,
  };
}

function toStagedRating(item: StagedRating) {
  return {
    external_id: item.externalId,
    kind: item.rating.kind,
    value: item.rating.value,
    votes: item.rating.votes,
    line: item.line ?? null,
  };
}
