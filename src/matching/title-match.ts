import type pg from 'pg';
import { normalizeTitle } from './normalize-title.js';

/** A candidate must score at least this (trigram similarity, less 0.05 per year apart). */
export const MATCH_THRESHOLD = 0.8;
/** …and beat every other candidate movie by at least this much, or the row is ambiguous. */
export const MATCH_MARGIN = 0.1;
export const YEAR_PENALTY = 0.05;

export interface TitleQuery {
  recordId: string;
  title: string | null;
  originalTitle: string | null;
  year: number | null;
}

export interface Candidate {
  movieId: string;
  title: string;
  year: number;
  similarity: number;
}

export type TitleMatch =
  | { kind: 'matched'; movieId: string; confidence: number }
  | { kind: 'ambiguous'; reason: string }
  | { kind: 'none'; reason: string };

/**
 * Finds, for each record, the movie it is by normalised title and year (±1): candidates come from
 * the trigram index on movie_titles in one query for the whole batch; `decide` picks one clear
 * winner or none. Remakes stay apart because a candidate must be within a year.
 */
export async function matchByTitle(db: pg.PoolClient | pg.Pool, queries: TitleQuery[]): Promise<Map<string, TitleMatch>> {
  const rows = queries.flatMap((q) =>
    q.year === null
      ? []
      : [...new Set([q.title, q.originalTitle].filter((t): t is string => !!t).map(normalizeTitle))]
          .filter(Boolean)
          .map((norm) => ({ record_id: q.recordId, norm, year: q.year })),
  );
  const candidates = new Map<string, Candidate[]>();
  if (rows.length) {
    const { rows: found } = await db.query<{ record_id: string; movie_id: string; title: string; year: number; similarity: number }>(
      `SELECT r.record_id, m.id AS movie_id, m.title, m.year, max(similarity(mt.normalized, r.norm))::float8 AS similarity
         FROM jsonb_to_recordset($1::jsonb) AS r(record_id text, norm text, year int)
         JOIN movie_titles mt ON mt.normalized % r.norm
         JOIN movies m ON m.id = mt.movie_id AND m.year BETWEEN r.year - 1 AND r.year + 1
        GROUP BY r.record_id, m.id, m.title, m.year`,
      [JSON.stringify(rows)],
    );
    for (const f of found) {
      const list = candidates.get(f.record_id) ?? [];
      const existing = list.find((c) => c.movieId === f.movie_id);
      if (existing) existing.similarity = Math.max(existing.similarity, f.similarity);
      else list.push({ movieId: f.movie_id, title: f.title, year: f.year, similarity: f.similarity });
      candidates.set(f.record_id, list);
    }
  }
  return new Map(queries.map((q) => [q.recordId, decide(q, candidates.get(q.recordId) ?? [])]));
}

/** One clear winner above the threshold, or the reason there is none. */
export function decide(query: TitleQuery, candidates: Candidate[]): TitleMatch {
  const label = `"${query.title ?? query.originalTitle ?? ''}" (${query.year ?? 'no year'})`;
  if (query.year === null) return { kind: 'none', reason: `${label}: no year to tell remakes apart` };
  const scored = candidates
    .map((c) => ({ ...c, confidence: round(c.similarity - YEAR_PENALTY * Math.abs(c.year - query.year!)) }))
    .sort((a, b) => b.confidence - a.confidence || a.movieId.localeCompare(b.movieId));
  const [best, second] = scored;
  if (!best) return { kind: 'none', reason: `${label}: no movie with a similar title within a year` };
  if (best.confidence < MATCH_THRESHOLD) {
    return { kind: 'none', reason: `${label}: closest is "${best.title}" (${best.year}) at ${best.confidence}, below ${MATCH_THRESHOLD}` };
  }
  if (second && second.confidence > best.confidence - MATCH_MARGIN) {
    const names = scored.filter((c) => c.confidence > best.confidence - MATCH_MARGIN).map((c) => `"${c.title}" (${c.year}) ${c.movieId}`);
    return { kind: 'ambiguous', reason: `${label}: ${names.length} movies match equally well: ${names.join(', ')}` };
  }
  return { kind: 'matched', movieId: best.movieId, confidence: best.confidence };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
