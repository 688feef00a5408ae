import type pg from 'pg';
import { recordImportErrors } from '../db/import-errors.js';
import { copyStaged, stagedRatingLine, stagedRecordLine, type StagedRatingRow, type StagedRecord } from '../db/staging.js';
import { SourceError } from '../errors.js';
import { faultPoint } from '../fault-points.js';
import { DEFAULT_INPUT_LIMITS, limitReason, type InputLimits } from '../sources/limits.js';
import type { SourceItem, SourceRecord } from '../sources/types.js';

type Reject = Extract<SourceItem, { type: 'reject' }>;
type StagedRating = Extract<SourceItem, { type: 'rating' }>;

export interface StagingCounts {
  rowsRead: number;
  records: number;
  ratings: number;
  rejected: number;
}

/** The first size of a staging table's COPY buffers (they grow to the largest batch). */
const COPY_BUFFER_BYTES = 1 << 20;

/**
 * COPY text of one staging table, built as items arrive: each item becomes its line at once and
 * is written (UTF-8) into a byte buffer outside the JavaScript heap, so the line dies young and a
 * batch waiting for the database holds no strings at all. Staged text that outlived
 * young-generation collections (strings, then pieces of them) was promoted to the old generation
 * a few megabytes a batch and grew the heap between full collections, more the longer the run
 * (issue 18: peak RSS flat from 1M to 13.5M lines). Two buffers take turns: one fills while the
 * other is written (at most one batch is in flight); each grows to the largest batch seen.
 */
class CopyText {
  private buffer: Buffer = Buffer.allocUnsafe(COPY_BUFFER_BYTES);
  private spare: Buffer | null = Buffer.allocUnsafe(COPY_BUFFER_BYTES);
  /** The buffer behind the view in flight. */
  private written: Buffer | null = null;
  private length = 0;
  count = 0;

  add(line: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8.
    const room = line.length * 3;
    if (this.length + room > this.buffer.length) this.grow(this.length + room);
    this.length += this.buffer.write(line, this.length, 'utf8');
    this.count++;
  }

  /**
   * The text so far as one view of the filled buffer; the text starts over in the other buffer.
   * The caller gives the view back (`release`) once it is written, before the next take.
   */
  take(): Buffer {
    const text = this.buffer.subarray(0, this.length);
    this.written = this.buffer;
    this.buffer = this.spare ?? Buffer.allocUnsafe(this.buffer.length);
    this.spare = null;
    this.length = 0;
    this.count = 0;
    return text;
  }

  /** The view from take() is written: its buffer fills again later. */
  release(): void {
    if (this.written && (!this.spare || this.written.length > this.spare.length)) this.spare = this.written;
    this.written = null;
  }

  private grow(size: number): void {
    let capacity = this.buffer.length;
    while (capacity < size) capacity *= 2;
    const grown = Buffer.allocUnsafe(capacity);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

/**
 * Buffers what an adapter yields and writes it to the staging tables with COPY (and rejects to
 * import_errors), one batch at a time. A batch is written while the next one is read, so the
 * parsing and the database work overlap; at most one batch is in flight, so memory stays bounded
 * and staging ids keep the input's order (the merge keeps the last of repeated rows).
 */
export class StagingWriter {
  private records = new CopyText();
  private ratings = new CopyText();
  private rejects: Reject[] = [];
  private inflight: Promise<void> = Promise.resolve();
  readonly counts: StagingCounts = { rowsRead: 0, records: 0, ratings: 0, rejected: 0 };
  /** Bytes written to the staging tables so far (COPY text). */
  private stagedBytes = 0;
  /** The last staged record's external id, while every one was greater than the one before. */
  private lastId: string | null = null;
  /**
   * Every staged record's external id was greater than the one before, longer or as long and
   * greater as text (a sorted input: IMDb's files are sorted by tconst number, MovieLens' by movie
   * id), so no id repeats: the merge need not look for repeated ones.
   */
  idsDistinct = true;

  constructor(
    private readonly pool: pg.Pool,
    private readonly runId: string,
    private readonly batchSize = 5000,
    private readonly limits: Pick<InputLimits, 'maxRows' | 'maxStagedBytes'> = DEFAULT_INPUT_LIMITS,
  ) {}

  /** Buffers an item; a SourceError once the run read more rows than INPUT_MAX_ROWS. */
  async add(item: SourceItem): Promise<void> {
    this.take(item);
    if (this.buffered() >= this.batchSize) await this.startBatch();
  }

  /** Adds a batch of items (an adapter's readBatches), writing as add() does. */
  async addBatch(items: SourceItem[]): Promise<void> {
    for (const item of items) this.take(item);
    if (this.buffered() >= this.batchSize) await this.startBatch();
  }

  private buffered(): number {
    return this.records.count + this.ratings.count + this.rejects.length;
  }

  private take(item: SourceItem): void {
    this.counts.rowsRead += item.type === 'skip' ? (item.count ?? 1) : 1;
    if (this.counts.rowsRead > this.limits.maxRows) {
      throw new SourceError(`the input has more than ${this.limits.maxRows} rows: ${limitReason('too many rows for one run', 'maxRows', this.limits.maxRows)}`);
    }
    if (item.type === 'skip') return;
    if (item.type === 'record') {
      const id = item.record.externalId;
      // Ordered by length, then as text: tconsts and numeric ids by their numbers (tt9999999 < tt10000000).
      if (this.idsDistinct && this.lastId !== null && !(id.length > this.lastId.length || (id.length === this.lastId.length && id > this.lastId))) {
        this.idsDistinct = false;
      }
      this.lastId = id;
      this.records.add(stagedRecordLine(this.runId, { external_id: item.record.externalId, line: item.line ?? null, record: toStagedRecord(item.record) }));
      this.counts.records++;
    } else if (item.type === 'rating') {
      this.ratings.add(stagedRatingLine(this.runId, toStagedRating(item)));
      this.counts.ratings++;
    } else {
      // A rejected row changes nothing stored: by default it holds the whole record it names.
      this.rejects.push(item.reference !== undefined && !item.holds ? { ...item, holds: 'record' } : item);
      this.counts.rejected++;
    }
  }

  private async startBatch(): Promise<void> {
    await this.inflight;
    const write = this.writeBatch();
    // Observed by the next add() or flush(); this keeps a failure from counting as unhandled meanwhile.
    write.catch(() => undefined);
    this.inflight = write;
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
    const recordCount = this.records.count;
    const ratingCount = this.ratings.count;
    const records = this.records.take();
    const ratings = this.ratings.take();
    const rejects = this.rejects;
    this.rejects = [];
    try {
      this.stagedBytes += await copyStaged(this.pool, 'records', records);
      this.stagedBytes += await copyStaged(this.pool, 'ratings', ratings);
    } finally {
      this.records.release();
      this.ratings.release();
    }
    // Checked after each batch: at most one batch (batchSize bounded rows) beyond the limit is staged, then the run fails.
    if (this.stagedBytes > this.limits.maxStagedBytes) {
      throw new SourceError(`the run staged ${this.stagedBytes} bytes: ${limitReason('too much input for one run', 'maxStagedBytes', this.limits.maxStagedBytes)}`);
    }
    if (rejects.length) await recordImportErrors(this.pool, this.runId, rejects);
    await faultPoint('staging.batch-written', { runId: this.runId, records: recordCount, ratings: ratingCount });
  }
}

function toStagedRecord(record: SourceRecord): StagedRecord {
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
    removed: record.removed?.length ? record.removed : undefined,
  };
}

function toStagedRating(item: StagedRating): StagedRatingRow {
  return {
    external_id: item.externalId,
    kind: item.rating.kind,
    value: item.rating.value,
    votes: item.rating.votes,
    line: item.line ?? null,
    source_updated_at: item.rating.sourceUpdatedAt ?? null,
  };
}
