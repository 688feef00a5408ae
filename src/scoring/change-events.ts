import { hash as digest } from 'node:crypto';
import type { MovieEvent, MovieEventBatch } from '../db/movie-events.js';
import type { LockedMovie as AggregationLockedMovie } from '../db/aggregates.js';
import type { AggregateResult, RecordInput } from './types.js';

/**
 * The events of one aggregation batch, derived from what it already holds (the locked movies'
 * previous state, their records and the new results): no extra read. A movie's score changed when
 * its c-rating differs; its match changed when the set of provider records linked to it differs
 * from the set it last saw (links_hash; unknown before the first time, so no event then).
 */

type LockedMovie = Pick<AggregationLockedMovie, 'id' | 'aggregate_hash' | 'score_value' | 'links_hash'>;

const SAME_SCORE = 1e-9;

export function linksOf(records: RecordInput[]): { provider: string; externalId: string }[] {
  if (records.length === 1) return [{ provider: records[0]!.providerKey, externalId: records[0]!.externalId }];
  return records
    .map((r) => ({ provider: r.providerKey, externalId: r.externalId }))
    .sort((a, b) => a.provider.localeCompare(b.provider) || a.externalId.localeCompare(b.externalId));
}

function linksHash(links: { provider: string; externalId: string }[]): string {
  return digest('sha1', links.length === 1 ? `${links[0]!.provider}:${links[0]!.externalId}` : links.map((l) => `${l.provider}:${l.externalId}`).join('\n'), 'hex');
}

const round = (value: number | null) => (value === null ? null : Math.round(value * 100) / 100);

/**
 * `events: false` (no enabled webhook wants them): the events themselves are not built; the links
 * and the subscription notices are.
 */
export function changeEvents(
  locked: LockedMovie[],
  records: Map<string, RecordInput[]>,
  results: Map<string, { result: AggregateResult }>,
  options: { events?: boolean } = {},
): MovieEventBatch {
  const batch: MovieEventBatch = { links: [], changes: [], events: [] };
  for (const movie of locked) {
    const hash = movieChangeEvents(batch, movie, records.get(movie.id), results.get(movie.id)?.result, options.events !== false);
    if (hash !== null) batch.links.push({ movie_id: movie.id, links_hash: hash });
  }
  return batch;
}

/**
 * One movie's part of changeEvents, added to `batch` (its notice and events; aggregation computes
 * a batch one movie at a time). Returns the movie's new links hash when its links changed (the
 * caller remembers it: in batch.links, or with the movie's written row), null otherwise.
 */
export function movieChangeEvents(
  batch: MovieEventBatch,
  movie: LockedMovie,
  movieRecords: RecordInput[] | undefined,
  changed: AggregateResult | undefined,
  wanted: boolean,
): string | null {
  if (!movieRecords?.length) return null; // removed
  const links = linksOf(movieRecords);
  const hash = linksHash(links);
  const linksChanged = hash !== movie.links_hash;
  if (!changed && !linksChanged) return null;
  if (!wanted) {
    if (changed) batch.changes.push([movie.id, movie.aggregate_hash === null ? null : round(movie.score_value), round(changed.score?.value ?? null)]);
    return linksChanged ? hash : null;
  }
  // A movie whose links changed but whose result did not: its stored state is current.
  const genres = changed ? changed.genres.map((g) => g.name) : [];
  const base = changed ? { movieId: movie.id, title: changed.fields.title, year: changed.fields.year ?? null, genres } : { movieId: movie.id };
  const event = (type: MovieEvent['type'], data: Record<string, unknown>, delta: number | null = null): MovieEvent => ({
    movie_id: movie.id,
    type,
    delta,
    genres,
    data: { ...base, ...data },
  });
  if (changed) {
    const newScore = changed.score?.value ?? null;
    if (movie.aggregate_hash === null) {
      batch.events.push(event('movie.created', { score: round(newScore) }));
      batch.changes.push([movie.id, null, round(newScore)]);
      return linksChanged ? hash : null;
    }
    batch.changes.push([movie.id, round(movie.score_value), round(newScore)]);
    const moved =
      (newScore === null) !== (movie.score_value === null) ||
      (newScore !== null && movie.score_value !== null && Math.abs(newScore - movie.score_value) > SAME_SCORE);
    if (moved) {
      const delta = newScore !== null && movie.score_value !== null ? round(newScore - movie.score_value) : null;
      batch.events.push(event('movie.score_changed', { score: { old: round(movie.score_value), new: round(newScore), delta } }, delta));
    }
  }
  if (linksChanged && movie.links_hash !== null) batch.events.push(event('movie.match_changed', { links }));
  return linksChanged ? hash : null;
}
