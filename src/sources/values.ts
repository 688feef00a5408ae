import { RowError } from '../errors.js';

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)$/;

/** A number in [min, max], or null for an empty field. */
export function decimal(text: string, field: string, min: number, max: number): number | null {
  const value = text.trim();
  if (value === '') return null;
  if (!DECIMAL.test(value)) throw new RowError(`${field} must be a number, found "${text}"`);
  const n = Number(value);
  if (n < min || n > max) throw new RowError(`${field} ${value} is out of range ${min}-${max}`);
  return n;
}

/**
 * A whole number in [min, max], or null for an empty field. "149.0" is accepted: CSVs written by
 * pandas print integer columns that have gaps as floats.
 */
export function wholeNumber(text: string, field: string, min: number, max: number): number | null {
  const value = text.trim();
  if (value === '') return null;
  const n = DECIMAL.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n)) throw new RowError(`${field} must be a whole number, found "${text}"`);
  if (n < min || n > max) throw new RowError(`${field} ${n} is out of range ${min}-${max}`);
  return n;
}

/** A YYYY-MM-DD calendar date, or null for an empty field. */
export function isoDate(text: string, field: string): string | null {
  const value = text.trim();
  if (value === '') return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : null;
  if (!date || date.toISOString().slice(0, 10) !== value) throw new RowError(`${field} must be a date YYYY-MM-DD, found "${text}"`);
  return value;
}

/** The trimmed text, or null when empty. */
export function text(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}
