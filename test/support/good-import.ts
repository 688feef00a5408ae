import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from './db.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles, type Title } from './imdb-files.js';
import { importImdb } from './pipeline.js';

/** A test file's database holding one good IMDb import, and a folder for the bad files tried against it. */
export interface GoodImport {
  readonly db: TestDatabase;
  readonly dir: string;
  /** The good files: `basics.tsv` and `ratings.tsv`. */
  readonly good: Record<string, string>;
  /** Writes `content` to `name` in the folder and returns its path. */
  readonly file: (name: string, content: string | Buffer) => Promise<string>;
}

/**
 * Registers `beforeAll` / `afterAll` hooks: a fresh database with `titles` and `ratings` imported
 * (the import must succeed) before the file's tests, dropped after them.
 */
export function useGoodImdbImport(titles: Title[], ratings: [string, number, number][]): GoodImport {
  let state: { db: TestDatabase; dir: string; good: Record<string, string> } | undefined;
  const current = () => {
    if (!state) throw new Error('useGoodImdbImport: read before its beforeAll ran');
    return state;
  };
  beforeAll(async () => {
    const db = await createTestDatabase();
    const dir = await tempDir();
    const good = await writeFiles(dir, { 'basics.tsv': basicsTsv(titles), 'ratings.tsv': ratingsTsv(ratings) });
    state = { db, dir, good };
    expect((await importImdb(db.pool, good['basics.tsv']!, good['ratings.tsv']!)).status).toBe('SUCCEEDED');
  });
  afterAll(() => state?.db.drop());
  return {
    get db() { return current().db; },
    get dir() { return current().dir; },
    get good() { return current().good; },
    file: async (name, content) => {
      const target = path.join(current().dir, name);
      await writeFile(target, content);
      return target;
    },
  };
}
