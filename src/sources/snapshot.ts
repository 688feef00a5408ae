import type { SourceLocation } from './types.js';

/**
 * The location key that marks an input as partial (a delta of the provider's catalogue, not all of
 * it): `moviec import <provider> --partial`, or an inbox file named as a delta
 * (`…delta…`, `…changes…`, `…incremental…`, `…partial…`). Such a run never withdraws records.
 */
export const SNAPSHOT_KEY = 'snapshot';
export const PARTIAL = 'partial';

/** A file provider's `isFullSnapshot`: its file is the whole catalogue unless the location says partial. */
export function fullUnlessMarkedPartial(location: SourceLocation): boolean {
  return location[SNAPSHOT_KEY] !== PARTIAL;
}

const DELTA_NAME = /(^|[._\-\s])(delta|deltas|changes|incremental|increment|partial|update|updates)([._\-\s]|$)/i;

/** Whether a file name says its content is a delta of the catalogue. */
export function namedAsDelta(name: string): boolean {
  return DELTA_NAME.test(name);
}
