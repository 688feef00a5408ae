/** Rows as an aligned plain-text table: a header, a rule, numbers right-aligned, long text cut. */

export interface TableOptions {
  /** Longest cell text; longer values end in "…". */
  maxCellWidth?: number;
}

/** Rows are plain objects (e.g. pg rows); columns are their keys in first-seen order. */
export function formatTable(records: readonly unknown[], options: TableOptions = {}): string {
  const rows = records as Record<string, unknown>[];
  const maxCellWidth = options.maxCellWidth ?? 60;
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cells = rows.map((row) => columns.map((column) => cellText(row[column], maxCellWidth)));
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((row) => {
    const value = row[columns[i]!];
    return value === null || value === undefined || typeof value === 'number';
  }));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((line) => line[i]!.length)));
  const pad = (text: string, i: number) => (numeric[i] ? text.padStart(widths[i]!) : text.padEnd(widths[i]!));
  const lines = [
    columns.map(pad).join('  '),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map((line) => line.map(pad).join('  ')),
  ];
  return lines.map((line) => line.trimEnd()).join('\n');
}

function cellText(value: unknown, maxWidth: number): string {
  if (value === null || value === undefined) return '';
  const text = plain(value).replace(/\s+/g, ' ').trim();
  return text.length > maxWidth ? `${text.slice(0, maxWidth - 1)}…` : text;
}

function plain(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? '';
}

/** Prints a titled table, or the title with a note when there are no rows. */
export function printTable(title: string, rows: readonly unknown[], empty = '(none)', options: TableOptions = {}): void {
  if (!rows.length) {
    console.log(`${title}: ${empty}\n`);
    return;
  }
  console.log(title);
  console.log(`${formatTable(rows, options)}\n`);
}
