import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export const BASICS_HEADER = 'tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\tendYear\truntimeMinutes\tgenres';
export const RATINGS_HEADER = 'tconst\taverageRating\tnumVotes';

export interface Title {
  tconst: string;
  type?: string;
  title: string;
  original?: string;
  year?: number | null;
  runtime?: number | null;
  genres?: string[];
}

export function basicsTsv(titles: Title[]): string {
  const rows = titles.map((t) =>
    [
      t.tconst, t.type ?? 'movie', t.title, t.original ?? t.title, '0', t.year ?? '\\N', '\\N', t.runtime ?? '\\N',
      t.genres?.length ? t.genres.join(',') : '\\N',
    ].join('\t'),
  );
  return [BASICS_HEADER, ...rows].join('\n') + '\n';
}

export function ratingsTsv(ratings: [string, number, number][]): string {
  return [RATINGS_HEADER, ...ratings.map((r) => r.join('\t'))].join('\n') + '\n';
}

/**
 * A fresh folder for a test's files, inside the run's own folder (test/support/global-setup.ts),
 * which the global teardown deletes with everything in it: test files need not clean up after
 * themselves, and runs do not pile folders up in the system's temporary directory.
 */
export async function tempDir(): Promise<string> {
  return mkdtemp(path.join(process.env.MOVIEC_TEST_FILES ?? os.tmpdir(), 'moviec-files-'));
}

export async function writeFiles(dir: string, files: Record<string, string | Buffer>, gzip = false): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, gzip ? `${name}.gz` : name);
    await writeFile(file, gzip ? gzipSync(content) : content);
    out[name] = file;
  }
  return out;
}
