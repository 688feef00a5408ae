import type { SourceItem } from '../../src/sources/types.js';

/** One CSV line, fields quoted the way pandas and Python's csv module quote them. */
export function csvLine(fields: (string | number | null | undefined)[]): string {
  return fields
    .map((value) => {
      const text = value === null || value === undefined ? '' : String(value);
      return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
    })
    .join(',');
}

export function csv(header: readonly string[], rows: (string | number | null | undefined)[][]): string {
  return [csvLine([...header]), ...rows.map(csvLine)].join('\n') + '\n';
}

export const RT_HEADER = [
  'rotten_tomatoes_link', 'movie_title', 'movie_info', 'critics_consensus', 'content_rating', 'genres', 'directors',
  'authors', 'actors', 'original_release_date', 'streaming_release_date', 'runtime', 'production_company',
  'tomatometer_status', 'tomatometer_rating', 'tomatometer_count', 'audience_status', 'audience_rating', 'audience_count',
  'tomatometer_top_critics_count', 'tomatometer_fresh_critics_count', 'tomatometer_rotten_critics_count',
] as const;

export type RtRow = Partial<Record<(typeof RT_HEADER)[number], string | number | null>>;

/** A rotten_tomatoes_movies.csv with the given rows (missing columns empty). */
export function rtCsv(rows: RtRow[], header: readonly string[] = RT_HEADER): string {
  return csv(header, rows.map((row) => header.map((column) => row[column as keyof RtRow])));
}

export async function collect(items: AsyncIterable<SourceItem>): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}
