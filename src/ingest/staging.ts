import type pg from 'pg';
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
 * Buffers what an adapter yields and writes it to the staging tables (and rejects to
 * import_errors) one multi-row statement per batch.
 */
export class StagingWriter {
  private records: { external_id: string; line: number | null; record: Record<string, unknown> }[] = [];
  private ratings: { external_id: string; kind: string; value: number; votes: number | null; line: number | null }[] = [];
  private rejects: Reject[] = [];
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
    if (this.records.length + this.ratings.length + this.rejects.length >= this.batchSize) await this.flush();
  }

  async flush(): Promise<void> {
    const records = this.records;
    const ratings = this.ratings;
    const rejects = this.rejects;
    this.records = [];
    this.ratings = [];
    this.rejects = [];
    if (records.length) {
      await this.pool.query(
        `INSERT INTO import_staging_records (run_id, external_id, line, record)
         SELECT $1, x.external_id, x.line, x.record
           FROM jsonb_to_recordset($2::jsonb) AS x(external_id text, line int, record jsonb)`,
        [this.runId, JSON.stringify(records)],
      );
    }
    if (ratings.length) {
      await this.pool.query(
        `INSERT INTO import_staging_ratings (run_id, external_id, kind, value, votes, line)
         SELECT $1, x.external_id, x.kind, x.value, x.votes, x.line
           FROM jsonb_to_recordset($2::jsonb) AS x(external_id text, kind text, value float8, votes int, line int)`,
        [this.runId, JSON.stringify(ratings)],
      );
    }
    if (rejects.length) await recordImportErrors(this.pool, this.runId, rejects);
  }
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
