import { isUuid, type MovieRecord } from '../db/records.js';
import { BadInputError } from '../errors.js';
import { GENRE_CONFIDENCE_THRESHOLD } from '../scoring/rules.js';
import { allProviders, findProvider } from '../sources/registry.js';
import type { Loaders } from './movie-loaders.js';

/**
 * One movie as plain data (REST GET /movies/:id and /movies/by/:provider/:externalId): the curated
 * fields, the c-rating and the per-provider ratings, read through the same per-request loaders and
 * movie cache as GraphQL's movie(id) and movieByExternalId.
 */
export interface MovieDetail
  extends Pick<MovieRecord, 'id' | 'title' | 'originalTitle' | 'year' | 'releaseDate' | 'runtimeMinutes' | 'overview' | 'posterUrl' | 'updatedAt'> {
  genres: string[];
  /** null when no provider rates the movie. */
  score: { value: number; confidence: number; providerCount: number; votes: number } | null;
  ratings: { provider: string; kind: string; rawValue: number; rawScale: string; normalized: number; votes: number | null }[];
  externalIds: { provider: string; externalId: string }[];
}

const MAX_EXTERNAL_ID_LENGTH = 200;

/** The movie with this MovieC id; null when there is none. BadInputError for an id that is not a UUID. */
export async function movieDetailById(loaders: Loaders, id: string): Promise<MovieDetail | null> {
  if (!isUuid(id)) throw new BadInputError(`id must be a MovieC movie id (a UUID), got ${JSON.stringify(id.slice(0, 60))}`, 'id');
  return detailOf(loaders, id.toLowerCase());
}

/**
 * The movie a provider's id belongs to; null when none. The provider in any spelling the registry
 * knows (`imdb`, `IMDB`, `rottentomatoes`, `ROTTEN_TOMATOES`); BadInputError for an unknown one.
 */
export async function movieDetailByExternalId(loaders: Loaders, provider: string, externalId: string): Promise<MovieDetail | null> {
  const adapter = findProvider(provider);
  if (!adapter) {
    throw new BadInputError(`unknown provider ${JSON.stringify(provider.slice(0, 60))}; known: ${knownProviders()}`, 'provider');
  }
  const trimmed = externalId.trim();
  if (!trimmed || trimmed.length > MAX_EXTERNAL_ID_LENGTH || trimmed.includes('\u0000')) {
    throw new BadInputError(`externalId must be 1 to ${MAX_EXTERNAL_ID_LENGTH} characters without NUL`, 'externalId');
  }
  const id = await loaders.movieIdByExternalId(adapter.definition.key, trimmed);
  return id ? detailOf(loaders, id) : null;
}

function knownProviders(): string {
  return allProviders().map((p) => p.definition.key).join(', ');
}

async function detailOf(loaders: Loaders, id: string): Promise<MovieDetail | null> {
  const [movie, ratings, genres, externalIds] = await Promise.all([
    loaders.movie.load(id),
    loaders.ratings.load(id),
    loaders.genres.load(id),
    loaders.externalIds.load(id),
  ]);
  if (!movie) return null;
  return {
    id: movie.id,
    title: movie.title,
    originalTitle: movie.originalTitle,
    year: movie.year,
    releaseDate: movie.releaseDate,
    runtimeMinutes: movie.runtimeMinutes,
    overview: movie.overview,
    posterUrl: movie.posterUrl,
    genres: genres.filter((g) => g.confidence >= GENRE_CONFIDENCE_THRESHOLD).map((g) => g.name),
    score:
      movie.scoreValue == null
        ? null
        : {
            value: movie.scoreValue,
            confidence: movie.scoreConfidence ?? 0,
            providerCount: movie.scoreProviderCount,
            votes: movie.scoreVotes ?? 0,
          },
    ratings: ratings.map((r) => ({
      provider: r.providerKey,
      kind: r.kind,
      rawValue: r.rawValue,
      rawScale: r.rawScale,
      normalized: r.normalized,
      votes: r.votes,
    })),
    externalIds: externalIds.map((e) => ({ provider: e.providerKey, externalId: e.externalId })),
    updatedAt: movie.updatedAt,
  };
}
