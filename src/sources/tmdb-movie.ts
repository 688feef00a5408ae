import { z } from 'zod';
import type { SourceItem, SourceRecord } from './types.js';

/** What MovieC reads from `/3/movie/{id}?append_to_response=external_ids,credits`; other fields pass through. */
const movieDetails = z.looseObject({
  id: z.number().int().positive(),
  title: z.string().trim().min(1, 'title is empty'),
  original_title: z.string().nullish(),
  release_date: z
    .string()
    .nullish()
    .refine((d) => !d || isCalendarDate(d), 'must be a date YYYY-MM-DD or empty'),
  runtime: z.number().int().min(0).max(100_000).nullish(),
  genres: z.array(z.looseObject({ id: z.number().int(), name: z.string().trim().min(1) })).nullish(),
  vote_average: z.number().min(0).max(10).nullish(),
  vote_count: z.number().int().min(0).nullish(),
  imdb_id: z.string().nullish(),
  external_ids: z.looseObject({ imdb_id: z.string().nullish() }).nullish(),
  overview: z.string().nullish(),
  poster_path: z.string().nullish(),
  adult: z.boolean().nullish(),
  credits: z
    .looseObject({ crew: z.array(z.looseObject({ job: z.string().nullish(), name: z.string().nullish() })).nullish() })
    .nullish(),
});

const TCONST = /^tt\d{7,}$/;
const POSTER_BASE = 'https://image.tmdb.org/t/p/w500';

/** A movie details document as a record, or a reject naming the fields that are wrong. */
export function parseMovie(document: unknown, requestedId: number): SourceItem {
  const parsed = movieDetails.safeParse(document);
  if (!parsed.success) {
    return {
      type: 'reject',
      reference: String(requestedId),
      reason: `unexpected movie document: ${describeIssues(parsed.error)}`,
      excerpt: JSON.stringify(document).slice(0, 200),
    };
  }
  return { type: 'record', record: toRecord(parsed.data, document as Record<string, unknown>) };
}

function toRecord(movie: z.infer<typeof movieDetails>, payload: Record<string, unknown>): SourceRecord {
  const releaseDate = movie.release_date || null;
  const votes = movie.vote_count ?? 0;
  return {
    externalId: String(movie.id),
    title: movie.title,
    originalTitle: movie.original_title?.trim() || null,
    year: releaseDate ? Number(releaseDate.slice(0, 4)) : null,
    releaseDate,
    // TMDB says 0 for a runtime nobody entered yet.
    runtimeMinutes: movie.runtime || null,
    genres: (movie.genres ?? []).map((g) => g.name),
    ratings: votes > 0 && movie.vote_average != null ? [{ kind: 'users', value: movie.vote_average, votes }] : [],
    imdbId: [movie.imdb_id, movie.external_ids?.imdb_id].find((id): id is string => !!id && TCONST.test(id)) ?? null,
    tmdbId: String(movie.id),
    directors: directorsOf(movie),
    overview: movie.overview?.trim() || null,
    posterUrl: movie.poster_path?.startsWith('/') ? `${POSTER_BASE}${movie.poster_path}` : null,
    isAdult: movie.adult ?? false,
    // The cast and crew lists are long and only the directors are used: the payload keeps those.
    payload: movie.credits ? { ...payload, credits: { crew: (movie.credits.crew ?? []).filter((c) => c.job === 'Director') } } : payload,
  };
}

function directorsOf(movie: z.infer<typeof movieDetails>): string[] | undefined {
  const names = [...new Set((movie.credits?.crew ?? []).filter((c) => c.job === 'Director' && c.name?.trim()).map((c) => c.name!.trim()))];
  return names.length ? names : undefined;
}

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : 'document'}: ${i.message}`)
    .join('; ');
}

/** A real YYYY-MM-DD calendar date (no 2021-02-30). */
export function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === text;
}
