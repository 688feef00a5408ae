/**
 * What the data layer hands to resolvers: curated rows in camelCase with dates already formatted
 * as ISO strings. Resolvers and object types are written against these shapes.
 */

export interface MovieRecord {
  id: string;
  title: string;
  originalTitle: string | null;
  year: number | null;
  /** YYYY-MM-DD. */
  releaseDate: string | null;
  runtimeMinutes: number | null;
  overview: string | null;
  posterUrl: string | null;
  updatedAt: string;
  scoreValue: number | null;
  scoreConfidence: number | null;
  scoreVotes: number | null;
  scoreProviderCount: number;
  /** The c-rating under the CRITICS and AUDIENCE profiles (scoreValue is BALANCED). */
  scoreCritics: number | null;
  scoreAudience: number | null;
  /** Which provider supplied each curated field ("lock" for an admin lock), e.g. {"title": "imdb"}. */
  provenance: Record<string, string>;
}

export interface RatingRecord {
  movieId: string;
  providerKey: string;
  kind: string;
  rawValue: number;
  rawScale: string;
  /** Linear 0-100. */
  normalized: number;
  /** On the common scale; null on rows scored before explanations existed. */
  calibrated: number | null;
  priorMean: number | null;
  priorVotes: number | null;
  votes: number | null;
  /** ISO 8601: when MovieC last read the provider's record. */
  fetchedAt: string | null;
  /** ISO 8601: when the provider says it last updated the rating, if it says. */
  sourceUpdatedAt: string | null;
}

export interface TitleRecord {
  movieId: string;
  providerKey: string;
  title: string;
  score: number;
}

export interface MovieGenreRecord {
  movieId: string;
  name: string;
  confidence: number;
}

export type { MovieExternalId as ExternalIdRecord } from './external-ids.js';

export interface ProviderRecord {
  key: string;
  name: string;
  kind: string;
}

export interface GenreRecord {
  name: string;
}

export interface ImportRunRecord {
  id: string;
  providerKey: string;
  trigger: string;
  status: string;
  rowsRead: number;
  rowsChanged: number;
  rowsRejected: number;
  moviesQueued: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
}

export interface MatchStatsRecord {
  providerKey: string;
  total: number;
  matched: number;
  unmatched: number;
  unmatchedPercent: number;
}

/** Columns of `movies m` selected as a MovieRecord (updatedAt still a Date: see toMovieRecord). */
export const MOVIE_COLUMNS = `m.id, m.title, m.original_title AS "originalTitle", m.year,
  to_char(m.release_date, 'YYYY-MM-DD') AS "releaseDate", m.runtime_minutes AS "runtimeMinutes",
  m.overview, m.poster_url AS "posterUrl", m.updated_at AS "updatedAt", m.score_value AS "scoreValue",
  m.score_confidence AS "scoreConfidence", m.score_votes AS "scoreVotes",
  m.score_provider_count AS "scoreProviderCount", m.score_critics AS "scoreCritics",
  m.score_audience AS "scoreAudience", m.provenance`;

type WithDates<T, K extends keyof T> = Omit<T, K> & { [P in K]: Date | (null extends T[P] ? null : never) };

export type MovieRow = WithDates<MovieRecord, 'updatedAt'>;

export function toMovieRecord(row: MovieRow): MovieRecord {
  return { ...row, updatedAt: row.updatedAt.toISOString() };
}

/** Columns of `import_runs r` selected as an ImportRunRecord (timestamps still Dates: see toImportRunRecord). */
export const IMPORT_RUN_COLUMNS = `r.id::text AS id, r.provider_key AS "providerKey", r.trigger, r.status::text AS status,
  r.rows_read AS "rowsRead", r.rows_changed AS "rowsChanged", r.rows_rejected AS "rowsRejected",
  r.movies_queued AS "moviesQueued", r.created_at AS "createdAt", r.started_at AS "startedAt",
  r.finished_at AS "finishedAt", r.error`;

export type ImportRunRow = WithDates<ImportRunRecord, 'createdAt' | 'startedAt' | 'finishedAt'>;

export function toImportRunRecord(row: ImportRunRow): ImportRunRecord {
  return {
    ...row,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

/** A movie id as stored (uuid); anything else cannot name a movie. */
export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
