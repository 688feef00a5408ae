import type { Cursor, SortKeyType } from '../db/movie-list.js';
import { isUuid } from '../db/records.js';
import { BadInputError } from '../errors.js';

export type { Cursor, SortKeyType };

/** Opaque to clients: base64url of a JSON array. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.order, cursor.keys, cursor.id])).toString('base64url');
}

/** Decodes and checks a client's `after` cursor against the expected ordering; BAD_USER_INPUT otherwise. */
export function decodeCursor(value: string, order: string, keyTypes: readonly SortKeyType[]): Cursor {
  const malformed = () => new BadInputError('Malformed cursor: pass an endCursor or edge cursor from a previous page of the same query', 'after');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw malformed();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw malformed();
  const [cursorOrder, keys, id] = parsed as unknown[];
  if (cursorOrder !== order) {
    throw new BadInputError(`Cursor belongs to another ordering (${String(cursorOrder)}, not ${order})`, 'after');
  }
  const keysValid =
    Array.isArray(keys) &&
    keys.length === keyTypes.length &&
    keys.every((k, i) => validKey(k, keyTypes[i]!));
  if (!keysValid || typeof id !== 'string' || !isUuid(id)) throw malformed();
  return { order, keys: keys as (number | string)[], id };
}

const INT4_MIN = -2_147_483_648;
const INT4_MAX = 2_147_483_647;

/** A sort key as the database column holds it: a crafted cursor never reaches SQL out of range. */
function validKey(key: unknown, type: SortKeyType): boolean {
  if (type === 'string') return typeof key === 'string';
  if (typeof key !== 'number' || !Number.isFinite(key)) return false;
  return type === 'number' || (Number.isInteger(key) && key >= INT4_MIN && key <= INT4_MAX);
}
