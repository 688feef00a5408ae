import { copyText } from './staging.js';

/**
 * The bulk rebuild's rows as lines of COPY text for its temporary tables (aggregate-bulk.ts
 * TEMP_TABLES: the columns in that order), appended as each movie is computed (scoring/aggregate.ts
 * computeBatch): no row objects in between. Values are written as the row-at-a-time write's JSON
 * arguments carry them (JSON.stringify writes null for NaN and ±Infinity).
 */
export interface CopyLines {
  /** The written movies' ids, in the order their lines were added. */
  ids: string[];
  movies: string[];
  titles: string[];
  ratings: string[];
  genres: string[];
}

export function copyLines(): CopyLines {
  return { ids: [], movies: [], titles: [], ratings: [], genres: [] };
}

const N = '\\N';
export const text = (v: unknown): string => (v === null || v === undefined ? N : copyText(typeof v === 'string' ? v : JSON.stringify(v)));
export const num = (v: unknown): string => (typeof v === 'number' && Number.isFinite(v) ? String(v) : v === null || v === undefined ? N : text(v));
export const bool = (v: unknown): string => (v === null || v === undefined ? N : v ? 't' : 'f');

/** A written movie's curated fields, as computed (scoring/types.ts CuratedFields). */
export interface MovieLineFields {
  title: string;
  originalTitle: string | null;
  year: number | null;
  releaseDate: string | null;
  runtimeMinutes: number | null;
  overview: string | null;
  posterUrl: string | null;
  isAdult: boolean;
  imdbId: string | null;
}

/** Its score as computed (scoring/types.ts AggregateScore), null when unscored. */
export interface MovieLineScore {
  value: number;
  confidence: number;
  votes: number;
  providerCount: number;
  profiles: { CRITICS: number; AUDIENCE: number };
}

/** moviec_bulk_movies: id, hash, links_hash, the fields, provenance, the score columns. */
export function addMovieLine(
  lines: CopyLines, id: string, hash: string, linksHash: string | null, f: MovieLineFields, provenance: Record<string, string>,
  score: MovieLineScore | null,
): void {
  lines.ids.push(id);
  // An array joined: one flat string (a template of this many parts is a tree of string pieces
  // that would live, unflattened, until the chunk is written).
  lines.movies.push(
    [
      id, hash, text(linksHash), text(f.title), text(f.originalTitle), num(f.year), text(f.releaseDate), num(f.runtimeMinutes),
      text(f.overview), text(f.posterUrl), bool(f.isAdult), text(f.imdbId), copyText(JSON.stringify(provenance)), num(score?.value),
      num(score?.confidence), num(score?.votes), num(score?.providerCount ?? 0), num(score?.profiles.CRITICS), num(score?.profiles.AUDIENCE),
    ].join('\t') + '\n',
  );
}

/** moviec_bulk_titles: n (its place in the chunk: the first of repeated titles counts), movie_id, provider, title, normalised, is_original, score. */
export function addTitleLine(
  lines: CopyLines, movieId: string, t: { providerKey: string; title: string; isOriginal: boolean; score: number }, normalized: string,
): void {
  lines.titles.push(`${lines.titles.length}\t${movieId}\t${text(t.providerKey)}\t${text(t.title)}\t${text(normalized)}\t${bool(t.isOriginal)}\t${num(t.score)}\n`);
}

/** moviec_bulk_ratings: movie_id, provider, kind, raw value and scale, normalised, calibrated, the prior, votes. */
export function addRatingLine(
  lines: CopyLines, movieId: string,
  r: { providerKey: string; kind: string; rawValue: number; rawScale: string; normalized: number; calibrated: number; priorMean: number; priorVotes: number; votes: number | null },
): void {
  lines.ratings.push(
    [movieId, text(r.providerKey), text(r.kind), num(r.rawValue), text(r.rawScale), num(r.normalized), num(r.calibrated),
      num(r.priorMean), num(r.priorVotes), num(r.votes)].join('\t') + '\n',
  );
}

/** moviec_bulk_genres: movie_id, name, confidence. */
export function addGenreLine(lines: CopyLines, movieId: string, g: { name: string; confidence: number }): void {
  lines.genres.push(`${movieId}\t${text(g.name)}\t${num(g.confidence)}\n`);
}
