import type { ProviderKey, SourceLocation } from '../sources/types.js';

/** What a dropped file or folder is, by its name, its first line, or (a folder) the files in it. */
export type InboxKind = 'imdb-basics' | 'imdb-ratings' | 'rottentomatoes' | 'movielens';

export interface InboxEntry {
  name: string;
  isDirectory: boolean;
  /** A folder's file names. */
  children?: string[];
  /** A file's first line (decompressed), when read. */
  header?: string | null;
}

export interface PlannedImport<E extends InboxEntry = InboxEntry> {
  provider: ProviderKey;
  /** The entries of the import, by the location key of the provider's adapter. */
  parts: { role: 'basics' | 'ratings' | 'file' | 'dir'; entry: E }[];
}

export interface Recognition<E extends InboxEntry = InboxEntry> {
  imports: PlannedImport<E>[];
  /** Recognised but incomplete: an IMDb file whose partner has not arrived. */
  waiting: { entry: E; reason: string }[];
  unrecognised: { entry: E; reason: string }[];
}

const MOVIELENS_FILES = ['movies.csv', 'links.csv', 'ratings.csv'];
const IMDB_NAME = /title\.(basics|ratings)\.tsv(\.gz)?$/i;
const RT_NAME = /rotten_tomatoes_movies[^/]*\.csv(\.gz)?$/i;
/** Names whose first line is worth reading to recognise them. */
export const SNIFFABLE_NAME = /\.(csv|tsv|txt)(\.gz)?$/i;

export function kindOf(entry: InboxEntry): InboxKind | null {
  if (entry.isDirectory) {
    const children = new Set(entry.children ?? []);
    return MOVIELENS_FILES.every((name) => children.has(name)) ? 'movielens' : null;
  }
  const imdb = IMDB_NAME.exec(entry.name);
  if (imdb) return imdb[1]!.toLowerCase() === 'basics' ? 'imdb-basics' : 'imdb-ratings';
  if (RT_NAME.test(entry.name)) return 'rottentomatoes';
  const header = entry.header ?? '';
  if (header.startsWith('tconst\ttitleType\t')) return 'imdb-basics';
  if (header.startsWith('tconst\taverageRating\t')) return 'imdb-ratings';
  if (/(^|[,"])rotten_tomatoes_link([,"]|$)/.test(header)) return 'rottentomatoes';
  return null;
}

/**
 * Groups stable inbox entries into imports: a MovieLens folder, a Rotten Tomatoes CSV, or an IMDb
 * title.basics + title.ratings pair (paired by what precedes `title.` in their names, or, for
 * files recognised by their header only, when exactly one of each is left).
 */
export function recognise<E extends InboxEntry>(entries: E[]): Recognition<E> {
  const result: Recognition<E> = { imports: [], waiting: [], unrecognised: [] };
  const imdb = new Map<string, { basics?: E; ratings?: E }>();
  const loose: { basics: E[]; ratings: E[] } = { basics: [], ratings: [] };
  for (const entry of entries) {
    const kind = kindOf(entry);
    if (kind === 'movielens') result.imports.push({ provider: 'movielens', parts: [{ role: 'dir', entry }] });
    else if (kind === 'rottentomatoes') result.imports.push({ provider: 'rottentomatoes', parts: [{ role: 'file', entry }] });
    else if (kind === 'imdb-basics' || kind === 'imdb-ratings') {
      const role = kind === 'imdb-basics' ? 'basics' : 'ratings';
      const named = IMDB_NAME.exec(entry.name);
      if (!named) {
        loose[role].push(entry);
        continue;
      }
      const key = entry.name.slice(0, named.index).toLowerCase() + (named[2] ?? '').toLowerCase();
      const pair = imdb.get(key) ?? {};
      if (pair[role]) result.unrecognised.push({ entry, reason: `a second IMDb ${role} file for the same pair` });
      else pair[role] = entry;
      imdb.set(key, pair);
    } else {
      result.unrecognised.push({
        entry,
        reason: entry.isDirectory
          ? `a folder without ${MOVIELENS_FILES.join(', ')}`
          : 'neither an IMDb title.basics/title.ratings TSV, a Rotten Tomatoes movies CSV, nor a MovieLens folder',
      });
    }
  }
  for (const pair of imdb.values()) {
    if (pair.basics && pair.ratings) result.imports.push(imdbImport(pair.basics, pair.ratings));
    else if (pair.basics) loose.basics.push(pair.basics);
    else if (pair.ratings) loose.ratings.push(pair.ratings);
  }
  if (loose.basics.length === 1 && loose.ratings.length === 1) {
    result.imports.push(imdbImport(loose.basics[0]!, loose.ratings[0]!));
  } else {
    for (const entry of loose.basics) result.waiting.push({ entry, reason: 'waiting for its IMDb title.ratings file' });
    for (const entry of loose.ratings) result.waiting.push({ entry, reason: 'waiting for its IMDb title.basics file' });
  }
  return result;
}

function imdbImport<E extends InboxEntry>(basics: E, ratings: E): PlannedImport<E> {
  return { provider: 'imdb', parts: [{ role: 'basics', entry: basics }, { role: 'ratings', entry: ratings }] };
}

/** The adapter location of an import whose parts now live at the given paths. */
export function locationOf(plan: PlannedImport, pathOf: (entry: InboxEntry) => string): SourceLocation {
  return Object.fromEntries(plan.parts.map(({ role, entry }) => [role, pathOf(entry)]));
}
