import type { SearchInputs } from './search-lines.js';
import { copyText } from './staging.js';

/**
 * The bulk rebuild's rows as COPY text for its temporary table of movies (aggregate-bulk.ts
 * TEMP_TABLES: the columns in that order) and for movie_titles, ratings and movie_genres (copied
 * straight into the tables), added as each movie is computed (scoring/aggregate.ts computeBatch):
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
  /**
   * Genres whose name was not among the ids the caller knew (computeBatch's genreIds): written by
   * the SQL's join on genres' names (db/aggregate-bulk.ts), which drops a name it does not find.
   */
  unplacedGenres: { movie_id: string; name: string; confidence: number }[];
  /** Provenances numbered for the first time in this chunk (Provenances: n, provenance), written before its movies. */
  provenances: CopyText;
  /** The written movies' search inputs (db/search-lines.ts addSearchInputs), when the caller adds them. */
  search?: SearchInputs;
}

export function copyLines(): CopyLines {
  return { ids: [], movies: new CopyText(), titles: new CopyText(), ratings: new CopyText(), genres: new CopyText(), unplacedGenres: [], provenances: new CopyText() };
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

/**
 * The provenances (a movie's field -> provider) of a bulk rebuild, numbered: a catalogue has few
 * distinct ones (a first IMDb import: 4), so each is sent and parsed as jsonb once, into the
 * temporary table moviec_bulk_provenance (db/aggregate-bulk.ts), and a movie's line carries its
 * number; parsing the same jsonb for every movie was a fifth of its line's COPY. Up to `limit`
 * of them: a provenance met after that is sent with its movie, as before.
 */
export class Provenances {
  private readonly numbers = new Map<string, number>();

  constructor(private readonly limit = 1000) {}

  /** The number of this provenance (its JSON), added to `lines` when new; null when it is not numbered. */
  numberOf(json: string, lines: CopyLines): number | null {
    const known = this.numbers.get(json);
    if (known !== undefined) return known;
    if (this.numbers.size >= this.limit) return null;
    const n = this.numbers.size + 1;
    this.numbers.set(json, n);
    lines.provenances.add(`${n}\t${copyText(json)}`);
    return n;
  }
}

/**
 * moviec_bulk_movies: id, hash, links_hash, the fields, provenance, the score columns, the
 * provenance's number. With `provenances`, a numbered provenance is sent once (its number in the
 * line, its column NULL), else inline.
 */
export function addMovieLine(
  lines: CopyLines, id: string, hash: string, linksHash: string | null, f: MovieLineFields, provenance: Record<string, string>,
  score: MovieLineScore | null, provenances?: Provenances,
): void {
  lines.ids.push(id);
  const json = JSON.stringify(provenance);
  const n = provenances?.numberOf(json, lines) ?? null;
  lines.movies.add(
    [
      id, hash, text(linksHash), text(f.title), text(f.originalTitle), num(f.year), text(f.releaseDate), num(f.runtimeMinutes),
      text(f.overview), text(f.posterUrl), bool(f.isAdult), text(f.imdbId), n === null ? copyText(json) : N, num(score?.value),
      num(score?.confidence), num(score?.votes), num(score?.providerCount ?? 0), num(score?.profiles.CRITICS), num(score?.profiles.AUDIENCE),
      n === null ? N : String(n),
    ].join('\t'),
  );
}

/**
 * movie_titles (copied straight into the table): movie_id, provider, title, normalised, is_original,
 * score. The caller adds a movie's (provider, title) once: the first of repeated ones counts, as in
 * moviec_write_aggregates (titleKey).
 */
export function addTitleLine(
  lines: CopyLines, movieId: string, t: { providerKey: string; title: string; isOriginal: boolean; score: number }, normalized: string,
): void {
  lines.titles.add(`${movieId}\t${text(t.providerKey)}\t${text(t.title)}\t${text(normalized)}\t${bool(t.isOriginal)}\t${num(t.score)}`);
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * What makes a movie's title repeated in movie_titles' unique key (provider, title): the text as
 * stored (COPY stores a lone surrogate as U+FFFD, as Buffer.write encodes it), compared as bytes.
 */
export function titleKey(providerKey: string, title: string): string {
  const stored = (s: string) => (SURROGATE.test(s) ? Buffer.from(s, 'utf8').toString('utf8') : s);
  return `${stored(providerKey)}\u0000${stored(title)}`;
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

/** movie_genres (copied straight into the table): movie_id, genre_id (the name's id in genres), confidence. */
export function addGenreLine(lines: CopyLines, movieId: string, genreId: number, g: { confidence: number }): void {
  lines.genres.add(`${movieId}\t${genreId}\t${num(g.confidence)}`);
}
