import type { SearchInputs } from './search-lines.js';
import { copyText } from './staging.js';

/**
 * The bulk rebuild's rows as COPY text for its temporary tables (aggregate-bulk.ts TEMP_TABLES:
 * the columns in that order) and for ratings (copied straight into the table), added as each movie is computed (scoring/aggregate.ts computeBatch):
 * no row objects in between. Values are written as the row-at-a-time write's JSON arguments carry
 * them (JSON.stringify writes null for NaN and ±Infinity).
 */
export interface CopyLines {
  /** The written movies' ids, in the order their lines were added. */
  ids: string[];
  movies: CopyText;
  titles: CopyText;
  ratings: CopyText;
  genres: CopyText;
  /** The written movies' search inputs (db/search-lines.ts addSearchInputs), when the caller adds them. */
  search?: SearchInputs;
}

export function copyLines(): CopyLines {
  return { ids: [], movies: new CopyText(), titles: new CopyText(), ratings: new CopyText(), genres: new CopyText() };
}

const PIECE = 64 * 1024;
const NEWLINE = 10;

/**
 * One table's COPY text, encoded to UTF-8 as each line is added. A chunk's lines live until
 * PostgreSQL has written it (while Node computes the next one): as strings they outlived young
 * collections and were copied and promoted; as bytes outside the heap the collector never moves
 * them, and the line strings die young.
 */
export class CopyText {
  private readonly full: Buffer[] = [];
  private piece = Buffer.allocUnsafe(PIECE);
  private used = 0;
  /** Lines added. */
  rows = 0;

  /** A line (without its newline). */
  add(line: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit, and the newline one.
    const most = line.length * 3 + 1;
    if (this.used + most > this.piece.length) {
      if (this.used) this.full.push(this.piece.subarray(0, this.used));
      this.piece = Buffer.allocUnsafe(Math.max(PIECE, most));
      this.used = 0;
    }
    this.used += this.piece.write(line, this.used);
    this.piece[this.used++] = NEWLINE;
    this.rows++;
  }

  /** The text so far, in pieces to send in turn. */
  pieces(): Buffer[] {
    return this.used ? [...this.full, this.piece.subarray(0, this.used)] : [...this.full];
  }

  toString(): string {
    return Buffer.concat(this.pieces()).toString('utf8');
  }
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
  lines.movies.add(
    [
      id, hash, text(linksHash), text(f.title), text(f.originalTitle), num(f.year), text(f.releaseDate), num(f.runtimeMinutes),
      text(f.overview), text(f.posterUrl), bool(f.isAdult), text(f.imdbId), copyText(JSON.stringify(provenance)), num(score?.value),
      num(score?.confidence), num(score?.votes), num(score?.providerCount ?? 0), num(score?.profiles.CRITICS), num(score?.profiles.AUDIENCE),
    ].join('\t'),
  );
}

/** moviec_bulk_titles: n (its place in the chunk: the first of repeated titles counts), movie_id, provider, title, normalised, is_original, score. */
export function addTitleLine(
  lines: CopyLines, movieId: string, t: { providerKey: string; title: string; isOriginal: boolean; score: number }, normalized: string,
): void {
  lines.titles.add([lines.titles.rows, movieId, text(t.providerKey), text(t.title), text(normalized), bool(t.isOriginal), num(t.score)].join('\t'));
}

/** ratings (copied straight into the table): movie_id, provider, kind, raw value and scale, normalised, calibrated, the prior, votes. */
export function addRatingLine(
  lines: CopyLines, movieId: string,
  r: { providerKey: string; kind: string; rawValue: number; rawScale: string; normalized: number; calibrated: number; priorMean: number; priorVotes: number; votes: number | null },
): void {
  lines.ratings.add(
    [movieId, text(r.providerKey), text(r.kind), num(r.rawValue), text(r.rawScale), num(r.normalized), num(r.calibrated),
      num(r.priorMean), num(r.priorVotes), num(r.votes)].join('\t'),
  );
}

/** moviec_bulk_genres: movie_id, name, confidence. */
export function addGenreLine(lines: CopyLines, movieId: string, g: { name: string; confidence: number }): void {
  lines.genres.add(`${movieId}\t${text(g.name)}\t${num(g.confidence)}`);
}
