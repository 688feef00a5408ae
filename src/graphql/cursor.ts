import { badUserInput } from './errors.js';
import { isUuid } from './data/records.js';

export type SortKeyType = 'number' | 'string';

/** A position in a keyset-paginated list: the sort key values and id of the last row seen. */
export interface Cursor {
  /** The ordering the cursor belongs to; a cursor of another ordering is rejected. */
  order: string;
  keys: (number | string)[];
  id: string;
}

/** Opaque to clients: base64url of a JSON array. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.order, cursor.keys, cursor.id])).toString('base64url');
}

/** Decodes and checks a client's `after` cursor against the expected ordering; BAD_USER_INPUT otherwise. */
export function decodeCursor(value: string, order: string, keyTypes: readonly SortKeyType[]): Cursor {
  const malformed = () => badUserInput('Malformed cursor: pass an endCursor or edge cursor from a previous page of the same query', 'after');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw malformed();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw malformed();
  const [cursorOrder, keys, id] = parsed as unknown[];
  if (cursorOrder !== order) {
    throw badUserInput(`Cursor belongs to another ordering (${String(cursorOrder)}, not ${order})`, 'after');
  }
  const keysValid =
    Array.isArray(keys) &&
    keys.length === keyTypes.length &&
    keys.every((k, i) => (keyTypes[i] === 'number' ? typeof k === 'number' && Number.isFinite(k) : typeof k === 'string'));
  if (!keysValid || typeof id !== 'string' || !isUuid(id)) throw malformed();
  return { order, keys: keys as (number | string)[], id };
}
