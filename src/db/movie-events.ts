import type pg from 'pg';
import { sqlLiteral } from './sql-literal.js';

/**
 * What aggregation tells the rest of the world when movies really change: the statement that
 * records one transaction's events (moviec_movie_events, migration 20261130080000), and the
 * channel subscribers LISTEN on.
 */

/** PostgreSQL channel of movie changes for GraphQL subscriptions (every API process listens). */
export const MOVIE_EVENTS_CHANNEL = 'moviec_movie_events';

export type MovieEventType = 'movie.score_changed' | 'movie.match_changed' | 'movie.created';

/** One event, as the webhook filters and the delivery body need it. */
export interface MovieEvent {
  movie_id: string;
  type: MovieEventType;
  /** new - old score (score_changed); null when either side has no score. */
  delta: number | null;
  /** Canonical genres of the movie, for the webhooks' genre filter. */
  genres: string[];
  /** The `data` of the delivery body. */
  data: Record<string, unknown>;
}

/** One changed movie for subscribers: [id, old score, new score]. */
export type MovieChangeNote = [id: string, oldScore: number | null, newScore: number | null];

export interface MovieEventBatch {
  /** Movies whose set of linked records changed, with the new hash to remember. */
  links: { movie_id: string; links_hash: string }[];
  changes: MovieChangeNote[];
  events: MovieEvent[];
}

// NOTIFY payloads must stay under 8000 bytes; one note is at most ~90 bytes.
const NOTES_PER_NOTIFY = 80;

/** Splits change notes into NOTIFY payloads (JSON arrays of notes). */
export function notifyPayloads(changes: MovieChangeNote[]): string[] {
  const payloads: string[] = [];
  for (let i = 0; i < changes.length; i += NOTES_PER_NOTIFY) payloads.push(JSON.stringify(changes.slice(i, i + NOTES_PER_NOTIFY)));
  return payloads;
}

/**
 * The statement recording a batch, for aggregation's multi-statement write (simple query
 * protocol, so arguments are escaped literals). Empty when nothing changed.
 */
export function movieEventsSql(client: pg.PoolClient, batch: MovieEventBatch): string {
  if (batch.changes.length === 0 && batch.links.length === 0) return '';
  const json = (value: unknown) => `${sqlLiteral(JSON.stringify(value))}::jsonb`;
  const notes = notifyPayloads(batch.changes).map((p) => sqlLiteral(p));
  return `SELECT moviec_movie_events(${json(batch.links)}, ARRAY[${notes.join(',')}]::text[], ${json(batch.events)});`;
}
