import type pg from 'pg';
import { loadGenreSpellings, type GenreSpelling } from '../db/genre-names.js';
import { BadInputError } from '../errors.js';

/**
 * Genre names as clients write them, resolved to canonical genres: a canonical name or any
 * provider's spelling of it ("Sci-Fi", "Science Fiction", "Science Fiction & Fantasy"), in any case,
 * with "&"/"and", hyphens and spaces interchangeable. An unknown name is BAD_USER_INPUT listing the
 * names that are accepted.
 */

/** The reference data changes only when providers are synced (start-up): re-read at most this often. */
const SPELLINGS_TTL_MS = 60_000;

interface Vocabulary {
  byKey: Map<string, number[]>;
  canonical: string[];
  aliases: string[];
  loadedAt: number;
}

const vocabularies = new WeakMap<pg.Pool, Promise<Vocabulary>>();

/** The comparison key of a genre name: case, "&"/"and", punctuation and spacing do not matter. */
export function genreKey(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^\p{L}\p{N}]+/gu, '')
    .trim();
}

function buildVocabulary(spellings: GenreSpelling[]): Vocabulary {
  const byKey = new Map<string, number[]>();
  for (const s of spellings) {
    const key = genreKey(s.spelling);
    byKey.set(key, [...new Set([...(byKey.get(key) ?? []), ...s.genreIds])].sort((a, b) => a - b));
  }
  const canonical = spellings.filter((s) => s.canonical).map((s) => s.spelling);
  const aliases = spellings.filter((s) => !s.canonical).map((s) => s.spelling);
  return { byKey, canonical, aliases, loadedAt: Date.now() };
}

async function vocabulary(pool: pg.Pool): Promise<Vocabulary> {
  const cached = vocabularies.get(pool);
  if (cached) {
    const current = await cached.catch(() => null);
    if (current && Date.now() - current.loadedAt < SPELLINGS_TTL_MS) return current;
  }
  const loading = loadGenreSpellings(pool).then(buildVocabulary);
  vocabularies.set(pool, loading);
  loading.catch(() => vocabularies.delete(pool));
  return loading;
}

/**
 * The canonical genre ids a list of client genre names stands for (any of them), or null for no
 * genre condition. Throws BAD_USER_INPUT naming the unknown names and the accepted ones.
 */
export async function resolveGenreNames(pool: pg.Pool, names: string[] | null | undefined, argumentName: string): Promise<number[] | null> {
  if (!names?.length) return null;
  const v = await vocabulary(pool);
  const ids = new Set<number>();
  const unknown: string[] = [];
  for (const name of names) {
    const found = v.byKey.get(genreKey(name));
    if (found) for (const id of found) ids.add(id);
    else unknown.push(name);
  }
  if (unknown.length) {
    throw new BadInputError(
      `Unknown genre${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => JSON.stringify(n)).join(', ')} in ${argumentName}. ` +
        `Valid genres: ${v.canonical.join(', ')}; provider spellings also accepted (any case): ${v.aliases.join(', ')}.`,
      argumentName,
    );
  }
  return [...ids].sort((a, b) => a - b);
}
