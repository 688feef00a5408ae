import { readCsv, type CsvRow } from './csv.js';
import { openInput } from './input.js';
import { rottenTomatoesFacts } from './rottentomatoes-definition.js';
import { splitTrailingParenthesis } from './title-parts.js';
import { type ReadContext, type SourceAdapter, type SourceItem, type SourceLocation, type SourceRating } from './types.js';
import { decimal, isoDate, text, wholeNumber } from './values.js';
import { RowError, SourceError } from '../errors.js';

/**
 * Rotten Tomatoes movies in the widely shared `rotten_tomatoes_movies.csv` layout (one row per
 * film, quoted fields that may span lines). The columns MovieC reads must be in the header;
 * the others (critics_consensus, directors, actors, …) are optional and kept in the payload.
 */
export const RT_REQUIRED_COLUMNS = [
  'rotten_tomatoes_link', 'movie_title', 'movie_info', 'genres', 'original_release_date', 'runtime',
  'tomatometer_rating', 'tomatometer_count', 'audience_rating', 'audience_count',
] as const;

export const rottenTomatoesAdapter: SourceAdapter = {
  ...rottenTomatoesFacts,
  checkLocation(location) {
    if (typeof location.file !== 'string' || !location.file) {
      throw new SourceError('Rotten Tomatoes import needs --file (path or URL of rotten_tomatoes_movies.csv, plain or .gz)');
    }
  },
  async *read(location: SourceLocation, context: ReadContext): AsyncGenerator<SourceItem> {
    this.checkLocation(location);
    const input = await openInput(location.file as string, context);
    for await (const row of readCsv(input.stream, input.name, { required: RT_REQUIRED_COLUMNS, limits: context.limits })) {
      yield parseRottenTomatoesRow(row);
    }
  },
};

/** One CSV row as a record with its critics and audience ratings, or a reject. */
export function parseRottenTomatoesRow(row: CsvRow): SourceItem {
  const link = text(row.get('rotten_tomatoes_link'));
  const reject = (reason: string): SourceItem => ({
    type: 'reject', reason, line: row.line, reference: link ?? text(row.get('movie_title')) ?? undefined, excerpt: row.excerpt,
  });
  if (row.problem) return reject(row.problem);
  try {
    if (!link) throw new RowError('rotten_tomatoes_link is empty');
    const fullTitle = text(row.get('movie_title'));
    if (!fullTitle) throw new RowError('movie_title is empty');
    const { title, originalTitle } = splitTitle(fullTitle);
    const releaseDate = isoDate(row.get('original_release_date'), 'original_release_date');
    const year = releaseDate ? Number(releaseDate.slice(0, 4)) : null;
    if (year !== null && (year < 1870 || year > 2200)) throw new RowError(`original_release_date ${releaseDate} is out of range`);
    const ratings = [
      rating('critics', row, 'tomatometer_rating', 'tomatometer_count'),
      rating('audience', row, 'audience_rating', 'audience_count'),
    ].filter((r): r is SourceRating => r !== null);
    const runtime = decimal(row.get('runtime'), 'runtime', 0, 100_000);
    return {
      type: 'record',
      line: row.line,
      record: {
        externalId: link,
        title,
        originalTitle,
        year,
        releaseDate,
        runtimeMinutes: runtime === null ? null : Math.round(runtime),
        genres: splitGenres(row.get('genres')),
        ratings,
        imdbId: null,
        tmdbId: null,
        directors: names(row.get('directors')),
        overview: text(row.get('movie_info')),
        posterUrl: null,
        isAdult: false,
        payload: row.toObject(),
      },
    };
  } catch (error) {
    if (error instanceof RowError) return reject(error.message);
    throw error;
  }
}

/**
 * "12 Angry Men (Twelve Angry Men)" → the title and its other title; a parenthesised year that tells
 * a remake apart ("Dracula (1931)") is dropped, as the year comes from the release date.
 */
export function splitTitle(fullTitle: string): { title: string; originalTitle: string | null } {
  const [title, other] = splitTrailingParenthesis(fullTitle);
  if (other === null) return { title, originalTitle: null };
  return /^\d{4}$/.test(other) ? { title, originalTitle: null } : { title, originalTitle: other };
}

/** A percentage and its count; null when the film has no such score. */
function rating(kind: string, row: CsvRow, valueColumn: string, countColumn: string): SourceRating | null {
  const value = decimal(row.get(valueColumn), valueColumn, 0, 100);
  const votes = wholeNumber(row.get(countColumn), countColumn, 0, 2_000_000_000);
  return value === null ? null : { kind, value, votes };
}

/** "Joel Coen, Ethan Coen" → both names; undefined when the column is empty or absent. */
function names(value: string): string[] | undefined {
  const list = value.split(',').map((n) => n.trim()).filter(Boolean);
  return list.length ? list : undefined;
}

/** "Action & Adventure, Comedy" → ["Action & Adventure", "Comedy"], spelled as Rotten Tomatoes does. */
function splitGenres(value: string): string[] {
  return value.split(',').map((g) => g.trim()).filter(Boolean);
}
