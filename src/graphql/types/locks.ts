import 'reflect-metadata';
import { registerEnumType } from 'type-graphql';
import { BadInputError } from '../../errors.js';

/** Curated fields an admin can lock, as GraphQL names them; values are the CuratedFields keys stored in movies.locks. */
export enum LockableField {
  TITLE = 'title',
  ORIGINAL_TITLE = 'originalTitle',
  YEAR = 'year',
  RELEASE_DATE = 'releaseDate',
  RUNTIME_MINUTES = 'runtimeMinutes',
  OVERVIEW = 'overview',
  POSTER_URL = 'posterUrl',
}

registerEnumType(LockableField, {
  name: 'LockableField',
  description: 'A curated movie field an admin can lock to a value that no provider overrides.',
  valuesConfig: {
    TITLE: { description: 'The title (any non-empty text).' },
    ORIGINAL_TITLE: { description: 'The original title (any non-empty text).' },
    YEAR: { description: 'The release year, a whole number such as 1994.' },
    RELEASE_DATE: { description: 'The release date, YYYY-MM-DD.' },
    RUNTIME_MINUTES: { description: 'The running time in whole minutes.' },
    OVERVIEW: { description: 'The plot summary (any non-empty text).' },
    POSTER_URL: { description: 'The poster image, an http(s) URL.' },
  },
});

import type { LockValue } from '../../services/admin.js';

export type { LockValue };

const MAX_TEXT = 10_000;

/** The typed value to store for a lock, or BAD_USER_INPUT saying what the field accepts. */
export function parseLockValue(field: LockableField, raw: string): LockValue {
  const value = raw.trim();
  const name = Object.entries(LockableField).find(([, v]) => v === field)?.[0] ?? field;
  const invalid = (expected: string) => new BadInputError(`${name} must be ${expected}, got "${raw}"`, 'value');
  switch (field) {
    case LockableField.YEAR: {
      const year = wholeNumber(value, 1850, 2200);
      if (year === null) throw invalid('a year between 1850 and 2200');
      return year;
    }
    case LockableField.RUNTIME_MINUTES: {
      const minutes = wholeNumber(value, 1, 10_000);
      if (minutes === null) throw invalid('whole minutes between 1 and 10000');
      return minutes;
    }
    case LockableField.RELEASE_DATE:
      if (!isIsoDate(value)) throw invalid('a date as YYYY-MM-DD');
      return value;
    case LockableField.POSTER_URL:
      if (!isHttpUrl(value)) throw invalid('an http or https URL');
      return value;
    default:
      if (!value || value.length > MAX_TEXT) throw invalid(`1 to ${MAX_TEXT} characters of text`);
      return value;
  }
}

function wholeNumber(value: string, min: number, max: number): number | null {
  if (!/^\d{1,6}$/.test(value)) return null;
  const n = Number(value);
  return n >= min && n <= max ? n : null;
}

function isIsoDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
