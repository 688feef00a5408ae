import type pg from 'pg';
import { withTransaction } from '../db/pool.js';
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
 * Below this trigram similarity a candidate cannot change a decision: a winner needs
 * MATCH_THRESHOLD and a rival must come within MATCH_MARGIN of it (0.8 - 0.1), less a hair for
 * rounding. The GIN index is searched at this threshold instead of pg_trgm's default 0.3.
 */
export const CANDIDATE_SIMILARITY = MATCH_THRESHOLD - MATCH_MARGIN - 0.01;
/** Queries per statement: bounded memory and statement size whatever the number of rows. */
const BATCH = 2000;

/**
 * Finds, for each record, the movie it is by normalised title and year (±1), set-based and
 * index-driven, `BATCH` records per statement:
 *
 * 1. Exact: movies with a title equal to the record's normalised title within a year (btree on
 *    movie_titles.normalized). One such movie is the match (confidence 1, less YEAR_PENALTY per
 *    year apart); several are ambiguous whatever else is similar, as each scores at least 0.95.
 * 2. Only records without any exact title go to trigram candidates: the GIN index with pg_trgm's
 *    `%` at CANDIDATE_SIMILARITY (a GIN search costs tens of milliseconds a title at 1M movies,
 *    an exact lookup well under one). `decide` picks one clear winner or none.
 *
 * Remakes stay apart because a candidate must be within a year. The one departure from scoring
 * every trigram candidate: a unique exact title wins even when a different but near-identical
 * title (similarity above 0.85-0.9) is within a year.
 */
export async function matchByTitle(db: pg.PoolClient | pg.Pool, queries: TitleQuery[]): Promise<Map<string, TitleMatch>> {
  if (!('release' in db)) return withTransaction(db, (client) => matchByTitle(client, queries));
  const rowsOf = (batch: TitleQuery[]) =>
    batch.flatMap((q) =>
      q.year === null
        ? []
        : [...new Set([q.title, q.originalTitle].filter((t): t is string => !!t).map(normalizeTitle))]
            .filter(Boolean)
            .map((norm) => ({ record_id: q.recordId, norm, year: q.year })),
    );
  const candidates = new Map<string, Candidate[]>();
  const add = (f: { record_id: string; movie_id: string; title: string; year: number; similarity: number }) => {
    const list = candidates.get(f.record_id) ?? [];
    const existing = list.find((c) => c.movieId === f.movie_id);
    if (existing) existing.similarity = Math.max(existing.similarity, f.similarity);
    else list.push({ movieId: f.movie_id, title: f.title, year: f.year, similarity: f.similarity });
    candidates.set(f.record_id, list);
  };
  if (queries.some((q) => q.year !== null)) {
    // Local to the caller's transaction; `%` then finds only candidates that can matter, through
    // the GIN index. The previous value is restored afterwards.
    const { rows: [saved] } = await db.query<{ threshold: string }>(
      // (pg_trgm's GUC exists only once the library is loaded in the session: 0.3 is its default.)
      `SELECT coalesce(current_setting('pg_trgm.similarity_threshold', true), '0.3') AS threshold,
              set_config('pg_trgm.similarity_threshold', $1, true)`,
      [String(CANDIDATE_SIMILARITY)],
    );
    try {
      // Batches of whole records, so a record's titles are decided together.
      for (let i = 0; i < queries.length; i += BATCH) {
        const rows = rowsOf(queries.slice(i, i + BATCH));
        if (!rows.length) continue;
        const { rows: found } = await db.query<{ record_id: string; movie_id: string; title: string; year: number; similarity: number }>(
          `WITH q AS MATERIALIZED (
             SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(record_id text, norm text, year int)
           ), exact AS MATERIALIZED (
             SELECT DISTINCT q.record_id, m.id AS movie_id, m.title, m.year
               FROM q
               JOIN movie_titles mt ON mt.normalized COLLATE "C" = q.norm COLLATE "C"
               JOIN movies m ON m.id = mt.movie_id AND m.year BETWEEN q.year - 1 AND q.year + 1
           ), fuzzy AS MATERIALIZED (
             SELECT * FROM q WHERE NOT EXISTS (SELECT 1 FROM exact e WHERE e.record_id = q.record_id)
           )
           SELECT record_id, movie_id, title, year, 1::float8 AS similarity FROM exact
           UNION ALL
           SELECT q.record_id, m.id, m.title, m.year, max(similarity(mt.normalized, q.norm))::float8
             FROM fuzzy q
             JOIN movie_titles mt ON mt.normalized % q.norm
             JOIN movies m ON m.id = mt.movie_id AND m.year BETWEEN q.year - 1 AND q.year + 1
            WHERE similarity(mt.normalized, q.norm) >= $2
            GROUP BY q.record_id, m.id, m.title, m.year`,
          [JSON.stringify(rows), CANDIDATE_SIMILARITY],
        );
        for (const f of found) add(f);
      }
    } finally {
      await db.query(`SELECT set_config('pg_trgm.similarity_threshold', $1, true)`, [saved!.threshold]);
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
