import type pg from 'pg';
import { MOVIE_COLUMNS, toMovieRecord, type MovieRecord, type MovieRow } from './records.js';

/** How a cursor's sort key is checked: int (int4 range), number (finite float8) or string. */
export type SortKeyType = 'int' | 'number' | 'string';

/** The score profiles (src/scoring/types.ts ScoreProfileName), named here for the data layer. */
export type ScoreProfileName = 'BALANCED' | 'CRITICS' | 'AUDIENCE';

/** A position in a keyset-paginated list: the sort key values and id of the last row seen. */
export interface Cursor {
  /** The ordering the cursor belongs to; a cursor of another ordering is rejected. */
  order: string;
  keys: (number | string)[];
  id: string;
}

/**
 * Keyset ("seek") pagination over curated movies. Every ordering is a list of sort keys plus the
 * movie id as tie-breaker, all in one direction, so "after the cursor" is a single row comparison
 * and pages never overlap or skip rows, whatever is inserted between requests.
 */

export interface SortKey {
  /** Non-null SQL expression over `movies m` (nulls are coalesced so they sort last). */
  sql: string;
  cast: 'float8' | 'int4' | 'text';
}

export interface Ordering {
  /** Stored in cursors, so a cursor cannot be replayed against another ordering. */
  name: string;
  direction: 'ASC' | 'DESC';
  keys: SortKey[];
}

export const MOVIE_ORDERINGS = {
  // Scores are 0-100 and votes/years non-negative, so -1 puts missing values after all others.
  SCORE_DESC: { name: 'SCORE_DESC', direction: 'DESC', keys: [{ sql: 'coalesce(m.score_value, -1)', cast: 'float8' }] },
  YEAR_DESC: { name: 'YEAR_DESC', direction: 'DESC', keys: [{ sql: 'coalesce(m.year, -1)', cast: 'int4' }] },
  TITLE_ASC: { name: 'TITLE_ASC', direction: 'ASC', keys: [{ sql: 'lower(m.title)', cast: 'text' }] },
  VOTES_DESC: { name: 'VOTES_DESC', direction: 'DESC', keys: [{ sql: 'coalesce(m.score_votes, -1)', cast: 'int4' }] },
} as const satisfies Record<string, Ordering>;

export type MovieOrderName = keyof typeof MOVIE_ORDERINGS;

/** The stored c-rating of each score profile (BALANCED is score_value); each has its order index. */
export const PROFILE_SCORE_COLUMNS: Record<ScoreProfileName, string> = {
  BALANCED: 'm.score_value',
  CRITICS: 'm.score_critics',
  AUDIENCE: 'm.score_audience',
};

/** An ordering with SCORE_DESC meaning the profile's score (movies_score_<profile>_order_idx). */
export function orderingFor(order: MovieOrderName, profile: ScoreProfileName): Ordering {
  if (order !== 'SCORE_DESC' || profile === 'BALANCED') return MOVIE_ORDERINGS[order];
  return {
    name: `SCORE_DESC_${profile}`,
    direction: 'DESC',
    keys: [{ sql: `coalesce(${PROFILE_SCORE_COLUMNS[profile]}, -1)`, cast: 'float8' }],
  };
}

export function keyTypes(ordering: Ordering): SortKeyType[] {
  return ordering.keys.map((k) => (k.cast === 'text' ? 'string' : k.cast === 'int4' ? 'int' : 'number'));
}

/** Positional parameters collected while a statement is assembled. */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown, cast?: string): string {
    this.values.push(value);
    return `$${this.values.length}${cast ? `::${cast}` : ''}`;
  }

  clone(): SqlParams {
    const copy = new SqlParams();
    copy.values.push(...this.values);
    return copy;
  }
}

/** Which movies a list holds: `movies m` plus optional joins, and conditions over them. */
export interface MovieSelection {
  from: string;
  conditions: string[];
  params: SqlParams;
}

export interface MovieFilterValues {
  genres?: string[] | null;
  /** The canonical genres `genres` stands for (resolved by services/genre-names.ts); what the SQL uses. */
  genreIds?: number[] | null;
  yearFrom?: number | null;
  yearTo?: number | null;
  minScore?: number | null;
  minVotes?: number | null;
  /** Whose score minScore applies to (BALANCED when absent). */
  profile?: ScoreProfileName | null;
}

/**
 * Conditions for MovieFilter: any of the resolved genres (a genre below the confidence threshold is
 * not the movie's), inclusive years, minimum score and votes.
 */
export function filterConditions(filter: MovieFilterValues | null | undefined, params: SqlParams, genreThreshold: number): string[] {
  const conditions: string[] = [];
  if (!filter) return conditions;
  if (filter.genreIds?.length) {
    const ids = params.add(filter.genreIds, 'int4[]');
    conditions.push(
      `EXISTS (SELECT 1 FROM movie_genres mg
                WHERE mg.movie_id = m.id AND mg.genre_id = ANY(${ids})
                  AND mg.confidence >= ${params.add(genreThreshold, 'float8')})`,
    );
  }
  if (filter.yearFrom != null) conditions.push(`m.year >= ${params.add(filter.yearFrom, 'int4')}`);
  if (filter.yearTo != null) conditions.push(`m.year <= ${params.add(filter.yearTo, 'int4')}`);
  if (filter.minScore != null) {
    conditions.push(`${PROFILE_SCORE_COLUMNS[filter.profile ?? 'BALANCED']} >= ${params.add(filter.minScore, 'float8')}`);
  }
  if (filter.minVotes != null) conditions.push(`m.score_votes >= ${params.add(filter.minVotes, 'int4')}`);
  return conditions;
}

export interface PageRow {
  movie: MovieRecord;
  cursor: Cursor;
}

export interface Page {
  rows: PageRow[];
  hasNextPage: boolean;
}

/** One statement: up to `first` movies after the cursor, plus one row to learn whether more follow. */
export async function fetchPage(
  pool: pg.Pool,
  selection: MovieSelection,
  ordering: Ordering,
  after: Cursor | null,
  first: number,
): Promise<Page> {
  const params = selection.params.clone();
  const conditions = [...selection.conditions];
  const sortSql = [...ordering.keys.map((k) => k.sql), 'm.id'];
  if (after) {
    const bounds = [...after.keys.map((value, i) => params.add(value, ordering.keys[i]!.cast)), params.add(after.id, 'uuid')];
    conditions.push(`(${sortSql.join(', ')}) ${ordering.direction === 'ASC' ? '>' : '<'} (${bounds.join(', ')})`);
  }
  const { rows } = await pool.query<MovieRow & Record<string, unknown>>(
    `SELECT ${MOVIE_COLUMNS}, ${ordering.keys.map((k, i) => `${k.sql} AS sort_key_${i}`).join(', ')}
       FROM ${selection.from}
      WHERE ${conditions.length ? conditions.join(' AND ') : 'true'}
      ORDER BY ${sortSql.map((s) => `${s} ${ordering.direction}`).join(', ')}
      LIMIT ${params.add(first + 1, 'int4')}`,
    params.values,
  );
  const pageRows = rows.slice(0, first).map((row) => {
    const keys = ordering.keys.map((_, i) => row[`sort_key_${i}`] as number | string);
    for (let i = 0; i < ordering.keys.length; i++) delete row[`sort_key_${i}`];
    const movie = toMovieRecord(row);
    return { movie, cursor: { order: ordering.name, keys, id: movie.id } };
  });
  return { rows: pageRows, hasNextPage: rows.length > first };
}

export async function countMovies(pool: pg.Pool, selection: MovieSelection): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${selection.from}
      WHERE ${selection.conditions.length ? selection.conditions.join(' AND ') : 'true'}`,
    selection.params.values,
  );
  return rows[0]?.n ?? 0;
}
