import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { SourceRating } from '../sources/types.js';
import { compareKeys, jsonbText, numericText } from './jsonb-text.js';

/**
 * The staging tables (UNLOGGED import_staging_records / import_staging_ratings): what a running
 * import has read, held until the whole input is read and merged (record-changes.ts) in one
 * transaction. Written with COPY.
 */

/** A staged record's fields (a SourceRecord with snake_case keys), as staged in their own columns. */
export interface StagedRecord {
  title: string | null;
  original_title: string | null;
  year: number | null;
  release_date: string | null;
  runtime_minutes: number | null;
  genres: string[];
  ratings: SourceRating[];
  imdb_id: string | null;
  tmdb_id: string | null;
  /** Absent when the record names none. */
  directors?: string[];
  overview: string | null;
  poster_url: string | null;
  is_adult: boolean;
  payload: Record<string, unknown>;
  /** Absent when the record removes nothing. */
  removed?: string[];
}

export interface StagedRecordRow {
  external_id: string;
  line: number | null;
  record: StagedRecord;
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

/**
 * The staged record's keys in jsonb's order (shorter first, then bytewise): the order of its
 * members in its jsonb text (record_text).
 */
const RECORD_KEYS = ([
  'title', 'original_title', 'year', 'release_date', 'runtime_minutes', 'genres', 'ratings', 'imdb_id', 'tmdb_id',
  'directors', 'overview', 'poster_url', 'is_adult', 'payload', 'removed',
] as const satisfies readonly (keyof StagedRecord)[]).slice().sort(compareKeys);

/**
 * One staged record as a line of COPY text for copyStaged('records', …): its fields in their own
 * columns (the merge reads them as they are, no jsonb to expand), the payload and ratings as jsonb,
 * and `record_text`, the record's jsonb text (src/db/jsonb-text.ts), which the content hash is
 * computed from (record-changes.ts): the text PostgreSQL printed from the record staged as jsonb,
 * so stored hashes stay what they were.
 */
export function stagedRecordLine(runId: string, r: StagedRecordRow): string {
  const x = r.record;
  const payload = jsonbText(x.payload) ?? 'null';
  const ratings = jsonbText(x.ratings) ?? 'null';
  let recordText = '{';
  for (const key of RECORD_KEYS) {
    const value = x[key];
    if (value === undefined) continue;
    const text = key === 'payload' ? payload : key === 'ratings' ? ratings : jsonbText(value);
    if (text === undefined) continue;
    recordText += `${recordText.length > 1 ? ', ' : ''}"${key}": ${text}`;
  }
  recordText += '}';
  return `${runId}\t${copyText(r.external_id)}\t${r.line ?? '\\N'}\t${nullable(x.title)}\t${nullable(x.original_title)}\t${x.year ?? '\\N'}\t`
    + `${nullable(x.release_date)}\t${x.runtime_minutes ?? '\\N'}\t${textArray(x.genres)}\t${x.ratings === undefined ? '\\N' : copyJson(ratings)}\t`
    + `${nullable(x.imdb_id)}\t${nullable(x.tmdb_id)}\t${textArray(x.directors)}\t${nullable(x.overview)}\t${nullable(x.poster_url)}\t`
    + `${x.is_adult === undefined || x.is_adult === null ? '\\N' : typeof x.is_adult === 'boolean' ? (x.is_adult ? 't' : 'f') : nullable(String(x.is_adult))}\t${x.payload === undefined ? '\\N' : copyJson(payload)}\t`
    + `${textArray(x.removed)}\t${copyJson(recordText)}\n`;
}

/**
 * One staged rating as a line of COPY text for copyStaged('ratings', …), with `element`, the
 * rating's jsonb text as the merge puts it in the record's ratings (`{"kind": …, "value": …,
 * "votes": …}`, and `"sourceUpdatedAt"` when dated): the merge joins these texts instead of
 * building each rating's jsonb (record-changes.ts). A date written otherwise than as
 * Date.toISOString() writes it (years 1-9999, milliseconds, UTC) leaves element NULL: the merge
 * then prints it from the columns, as it always did.
 */
export function stagedRatingLine(runId: string, r: StagedRatingRow): string {
  const dated = r.source_updated_at !== null;
  const element = dated && !ISO_INSTANT.test(r.source_updated_at!)
    ? null
    : `{"kind": ${JSON.stringify(r.kind)}, "value": ${numericText(r.value)}, "votes": ${r.votes === null ? 'null' : numericText(r.votes)}${
      dated ? `, "sourceUpdatedAt": "${r.source_updated_at}"` : ''}}`;
  return `${runId}\t${copyText(r.external_id)}\t${copyText(r.kind)}\t${r.value}\t${r.votes ?? '\\N'}\t${r.line ?? '\\N'}\t${
    dated ? copyText(r.source_updated_at!) : '\\N'}\t${element === null ? '\\N' : copyJson(element)}\n`;
}

/** An instant as to_char(… AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') prints it, years 0001-9999. */
const ISO_INSTANT = /^(?!0000)\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/**
 * A text column's value; a value of another JSON type (from a provider module written in plain
 * JavaScript) as jsonb_to_record made it text from the record's jsonb: its jsonb text.
 */
function nullable(value: string | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  return copyText(typeof value === 'string' ? value : (jsonbText(value) ?? ''));
}

/** A text[] in COPY text (arrayLiteral); an element of another JSON type (a provider module in plain JavaScript) as jsonb_to_record made it text. */
function textArray(values: readonly (string | null)[] | null | undefined): string {
  if (values === null || values === undefined) return '\\N';
  return copyText(arrayLiteral(values.map((v) => (v === null || v === undefined ? null : typeof v === 'string' ? v : (jsonbText(v) ?? '')))));
}

const STAGING_TARGETS = {
  records: `import_staging_records (run_id, external_id, line, title, original_title, year, release_date, runtime_minutes, genres,
    ratings, imdb_id, tmdb_id, directors, overview, poster_url, is_adult, payload, removed, record_text)`,
  ratings: 'import_staging_ratings (run_id, external_id, kind, value, votes, line, source_updated_at, element)',
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
  // A scan, not a regular expression: most values are short and need nothing (a hot path of staging).
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 92 || c === 10 || c === 13 || c === 9) return value.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]!);
  }
  return value;
}

/** A PostgreSQL array literal of these elements (each quoted; NULL as NULL). */
export function arrayLiteral(elements: readonly (string | number | null)[]): string {
  let out = '{';
  for (let i = 0; i < elements.length; i++) {
    const e = elements[i]!;
    if (i) out += ',';
    if (e === null) out += 'NULL';
    else if (typeof e === 'number') out += String(e);
    else out += `"${e.replace(/["\\]/g, '\\$&')}"`;
  }
  return `${out}}`;
}

/** JSON text in COPY's text format: JSON escapes every control character, so only backslashes are doubled. */
function copyJson(json: string): string {
  return json.includes('\\') ? json.replaceAll('\\', '\\\\') : json;
}

export async function clearStaging(db: pg.Pool | pg.PoolClient, runId: string): Promise<void> {
  await db.query('DELETE FROM import_staging_records WHERE run_id = $1', [runId]);
  await db.query('DELETE FROM import_staging_ratings WHERE run_id = $1', [runId]);
}
