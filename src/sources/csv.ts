import { parse, type CsvError } from 'csv-parse';
import type { Readable } from 'node:stream';
import { DEFAULT_INPUT_LIMITS, limitReason, type InputLimits } from './limits.js';
import { decodeText } from './text-decoding.js';
import { excerpt } from './tsv.js';
import { SourceError } from '../errors.js';

/** One data row of a CSV file, read against its header. */
export class CsvRow {
  constructor(
    /** 1-based line the row starts on (a quoted field may span several lines). */
    readonly line: number,
    readonly fields: string[],
    private readonly columns: ReadonlyMap<string, number>,
    /** Why the row cannot be read as it stands (the wrong number of fields), or null. */
    readonly problem: string | null,
    private readonly raw: string | null,
  ) {}

  /** The field under `column`, '' when the row is too short to have it. */
  get(column: string): string {
    const index = this.columns.get(column);
    return index === undefined ? '' : (this.fields[index] ?? '');
  }

  /** Every field by column name, extra columns included: the raw row kept as a payload. */
  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, index] of this.columns) out[name] = this.fields[index] ?? '';
    return out;
  }

  /** The row's text, shortened, for error reports. */
  get excerpt(): string {
    return excerpt(this.raw ?? this.fields.join(','));
  }
}

export interface CsvOptions {
  /** Columns the header must name (in any order; other columns are allowed). */
  required: readonly string[];
  /**
   * Keep each row's text for excerpts. Costs time on files of millions of rows, whose excerpts
   * are then rebuilt from the fields.
   */
  keepRaw?: boolean;
  /** Most columns in the header and most characters in one record (the defaults of ./limits.ts when absent). */
  limits?: Pick<InputLimits, 'maxColumns' | 'maxLineBytes'>;
  /** Added to every row's line number: the stream is the rest of a file whose first lines were read already. */
  lineOffset?: number;
}

/**
 * Streams a comma-separated file with a header line (RFC 4180 quoting, fields spanning lines, a
 * BOM, CRLF or LF), checking the header names the required columns. A row with the wrong number
 * of fields comes with its `problem` for the caller to reject; a file that cannot be read at all
 * (wrong header or delimiter, empty, a quote never closed, cut off mid-row) is a SourceError.
 */
export async function* readCsv(stream: Readable, name: string, options: CsvOptions): AsyncGenerator<CsvRow> {
  const keepRaw = options.keepRaw ?? true;
  const limits = options.limits ?? DEFAULT_INPUT_LIMITS;
  const lineOffset = options.lineOffset ?? 0;
  const text = decodeText();
  const parser = stream.pipe(text).pipe(
    parse({
      relax_column_count: true,
      // A stray quote (an unquoted `The 12" Single`) is kept as text rather than failing the file.
      relax_quotes: true,
      raw: keepRaw,
      // Lines are counted here rather than with csv-parse's `info`, which costs a quarter of the
      // parse time on files of millions of rows; so empty lines come through, to be counted.
      skip_empty_lines: false,
      // A quoted field may span lines: the record as a whole is bounded too.
      max_record_size: limits.maxLineBytes,
    }),
  );
  stream.once('error', (error) => parser.destroy(error));
  text.once('error', (error) => parser.destroy(error));

  let columns: Map<string, number> | null = null;
  let width = 0;
  let nextLine = 1;
  let last: CsvRow | null = null;
  try {
    for await (const item of parser as AsyncIterable<string[] | { record: string[]; raw: string }>) {
      const record = Array.isArray(item) ? item : item.record;
      const line = nextLine + lineOffset;
      nextLine += 1 + embeddedNewlines(record);
      if (record.length === 1 && record[0] === '') continue;
      if (!columns) {
        if (record.length > limits.maxColumns) {
          throw new SourceError(`${name}: the header names ${record.length} columns; ${limitReason('too many', 'maxColumns', limits.maxColumns)}`);
        }
        columns = checkHeader(record, name, options.required);
        width = record.length;
        continue;
      }
      const problem = record.length === width ? null : `expected ${width} comma-separated fields, found ${record.length}`;
      if (last) yield last;
      last = new CsvRow(line, record, columns, problem, Array.isArray(item) ? null : item.raw);
    }
  } catch (error) {
    if (error instanceof SourceError) throw error;
    if ((error as CsvError).code === 'CSV_MAX_RECORD_SIZE') {
      throw new SourceError(`${name}: a record from line ${nextLine + lineOffset} is longer than ${limits.maxLineBytes} characters (INPUT_MAX_LINE_BYTES)`);
    }
    if ((error as CsvError).code === 'CSV_QUOTE_NOT_CLOSED') {
      throw new SourceError(`${name} is truncated or malformed: a quoted field opened on line ${nextLine + lineOffset} is never closed`);
    }
    throw new SourceError(`${name}: ${(error as Error).message}`);
  }
  if (!columns) throw new SourceError(`${name} is empty: expected a header line naming the columns ${options.required.join(', ')}`);
  if (last) {
    if (last.problem && !text.endsWithNewline()) throw new SourceError(`${name} is truncated: its last line ${last.line} is incomplete`);
    yield last;
  }
}

function checkHeader(record: string[], name: string, required: readonly string[]): Map<string, number> {
  const names = record.map((column) => column.trim());
  const columns = new Map<string, number>();
  names.forEach((column, index) => {
    if (!columns.has(column)) columns.set(column, index);
  });
  const missing = required.filter((column) => !columns.has(column));
  if (missing.length === 0) return columns;
  const found = excerpt(record.join(','));
  const otherDelimiter = record.length === 1 ? ['\t', ';', '|'].find((d) => record[0]!.includes(d)) : undefined;
  const expected = `expected comma-separated columns including ${required.join(', ')}`;
  if (otherDelimiter) {
    const label = otherDelimiter === '\t' ? 'tab' : `"${otherDelimiter}"`;
    throw new SourceError(`${name}: unexpected header "${found}": the file is ${label}-separated; ${expected}`);
  }
  throw new SourceError(`${name}: unexpected header "${found}": missing column${missing.length === 1 ? '' : 's'} ${missing.join(', ')}; ${expected}`);
}

/** Line breaks inside quoted fields: the next row starts that many lines further on. */
function embeddedNewlines(fields: string[]): number {
  let count = 0;
  for (const field of fields) {
    for (let i = field.indexOf('\n'); i !== -1; i = field.indexOf('\n', i + 1)) count++;
  }
  return count;
}
