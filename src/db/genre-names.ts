import type pg from 'pg';
import { prismaOf } from './prisma.js';

/**
 * Every name a genre goes by: the canonical names and every provider's spelling of them (genre
 * aliases, written from the provider registry by syncReferenceData). What genre filters accept.
 */
export interface GenreSpelling {
  /** As written: "Sci-Fi", "Science Fiction & Fantasy", "Drama". */
  spelling: string;
  /** The canonical genres it stands for (an alias may name several). */
  genreIds: number[];
  /** Whether this is a canonical genre's own name (listed to clients), not a provider's alias. */
  canonical: boolean;
}

/** Every spelling once, with the genres it stands for (ascending), ordered by spelling. Read once per process (services/genre-names.ts). */
export async function loadGenreSpellings(pool: pg.Pool): Promise<GenreSpelling[]> {
  const prisma = prismaOf(pool);
  const [genres, aliases] = await Promise.all([
    prisma.genre.findMany({ select: { id: true, name: true } }),
    prisma.genreAlias.findMany({ where: { genreId: { not: null } }, select: { alias: true, genreId: true } }),
  ]);
  const spellings = new Map<string, { ids: Set<number>; canonical: boolean }>();
  const add = (spelling: string, genreId: number, canonical: boolean) => {
    const entry = spellings.get(spelling) ?? { ids: new Set<number>(), canonical: false };
    entry.ids.add(genreId);
    entry.canonical ||= canonical;
    spellings.set(spelling, entry);
  };
  for (const g of genres) add(g.name, g.id, true);
  for (const a of aliases) add(a.alias, a.genreId!, false);
  return [...spellings]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([spelling, { ids, canonical }]) => ({ spelling, genreIds: [...ids].sort((x, y) => x - y), canonical }));
}
