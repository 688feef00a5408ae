/**
 * A value's text as PostgreSQL prints it once stored as jsonb (`$1::jsonb::text`), computed in Node.
 *
 * The merge compares a staged record with the stored one by md5 of the record's jsonb text (the
 * content hash, src/db/record-changes.ts). The text used to be printed by the database from the
 * staged jsonb, on the merge's one backend (issue 18: 734k records' jsonb output, ~40 % of the
 * `incoming` step); Node builds it while staging instead, byte for byte what PostgreSQL prints, so
 * stored hashes stay comparable. What jsonb does to a JSON text (JSON.stringify's):
 * - object keys in jsonb's order: shorter (in UTF-8 bytes) first, then by their bytes; `": "` and
 *   `", "` between members and elements (`{}` and `[]` when empty);
 * - numbers are numeric: printed in plain decimal, never with an exponent (1e-7 is 0.0000001);
 * - strings are escaped as JSON.stringify escapes them (`"`, `\`, control characters).
 * Members JSON.stringify leaves out (undefined, functions, symbols) are left out, array elements it
 * prints as null are null, and toJSON() (a Date) is called, so the text is that of JSON.stringify's output.
 */

/** A piece of jsonb text already built (jsonbText's output), put in as it is. */
export class JsonbText {
  constructor(readonly text: string) {}
}

/** The jsonb text of a JSON value (what JSON.stringify would write, as jsonb prints it); undefined where JSON.stringify gives undefined. */
export function jsonbText(value: unknown): string | undefined {
  return write(value, '');
}

function write(value: unknown, key: string): string | undefined {
  switch (typeof value) {
    case 'string':
      return jsonString(value);
    case 'number':
      return Number.isFinite(value) ? numericText(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      // As JSON.stringify does.
      throw new TypeError('Do not know how to serialize a BigInt');
    case 'object': {
      if (value === null) return 'null';
      if (value instanceof JsonbText) return value.text;
      const withJson = value as { toJSON?: (key: string) => unknown };
      if (typeof withJson.toJSON === 'function') return write(withJson.toJSON(key), key);
      if (value instanceof Number || value instanceof String || value instanceof Boolean) return write(value.valueOf(), key);
      if (Array.isArray(value)) {
        if (value.length === 0) return '[]';
        let text = '[';
        for (let i = 0; i < value.length; i++) text += (i ? ', ' : '') + (write(value[i], String(i)) ?? 'null');
        return `${text}]`;
      }
      return objectText(value as Record<string, unknown>);
    }
    default:
      return undefined;
  }
}

/** An object shape's members in jsonb's order: indexes into its Object.keys, and each member's `"key": `. */
interface Shape {
  keys: string[];
  order: number[];
  prefixes: string[];
}

/**
 * The last shapes seen, by key count: the objects of one import are of a few shapes (a provider's
 * payload, its ratings), whose order is sorted once, not for every object.
 */
const shapes: (Shape | undefined)[] = [];

function shapeOf(keys: string[]): Shape {
  const cached = shapes[keys.length];
  if (cached && sameKeys(cached.keys, keys)) return cached;
  const order = keys.map((_, i) => i).sort((a, b) => compareKeys(keys[a]!, keys[b]!));
  const shape = { keys, order, prefixes: order.map((i) => `${JSON.stringify(keys[i])}: `) };
  if (keys.length < 64) shapes[keys.length] = shape;
  return shape;
}

function sameKeys(a: string[], b: string[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A string as JSON: quoted as it is when nothing in it is escaped (no control character, quote,
 * backslash or surrogate: the common case, checked here faster than a call of JSON.stringify), else
 * as JSON.stringify writes it.
 */
export function jsonString(value: string): string {
  if (value.length > 256) return JSON.stringify(value);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(value);
  }
  return `"${value}"`;
}

function objectText(value: Record<string, unknown>): string {
  const keys = Object.keys(value);
  if (keys.length === 0) return '{}';
  const { order, prefixes } = shapeOf(keys);
  let text = '{';
  for (let i = 0; i < order.length; i++) {
    const key = keys[order[i]!]!;
    const member = write(value[key], key);
    if (member === undefined) continue;
    text += (text.length > 1 ? ', ' : '') + prefixes[i] + member;
  }
  return text.length > 1 ? `${text}}` : '{}';
}

function ascii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 127) return false;
  return true;
}

/** jsonb's order of object keys: by length in UTF-8 bytes, then bytewise. */
export function compareKeys(a: string, b: string): number {
  if (ascii(a) && ascii(b)) {
    if (a.length !== b.length) return a.length - b.length;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length !== y.length ? x.length - y.length : Buffer.compare(x, y);
}

/**
 * A finite number as numeric prints it after reading JavaScript's (shortest) text of it: the same
 * digits, in plain decimal (numeric keeps an exponent's digits: 1.5e-7 is 0.00000015, 1e+21 is a 1
 * and 21 zeros). -0 is 0, as JSON.stringify writes it.
 */
export function numericText(value: number): string {
  const text = String(value);
  const e = text.indexOf('e');
  if (e < 0) return text;
  const negative = text.startsWith('-');
  const mantissa = text.slice(negative ? 1 : 0, e);
  const exponent = Number(text.slice(e + 1));
  const point = mantissa.indexOf('.');
  const digits = point < 0 ? mantissa : mantissa.slice(0, point) + mantissa.slice(point + 1);
  // The decimal point sits after `intDigits` of `digits`.
  const intDigits = (point < 0 ? mantissa.length : point) + exponent;
  let plain: string;
  if (intDigits <= 0) plain = `0.${'0'.repeat(-intDigits)}${digits}`;
  else if (intDigits >= digits.length) plain = digits + '0'.repeat(intDigits - digits.length);
  else plain = `${digits.slice(0, intDigits)}.${digits.slice(intDigits)}`;
  return negative ? `-${plain}` : plain;
}
