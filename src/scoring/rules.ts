import type { CuratedFields } from './types.js';

/**
 * The per-field rule table: for each curated field, providers in order of precedence. The first
 * provider with a non-empty value supplies the field; an empty value never overwrites a present
 * one. Providers not listed come after the listed ones.
 */
export const FIELD_PRECEDENCE: Record<Exclude<keyof CuratedFields, 'title'>, string[]> = {
  originalTitle: ['imdb', 'tmdb', 'movielens', 'rottentomatoes'],
  year: ['imdb', 'tmdb', 'movielens', 'rottentomatoes'],
  releaseDate: ['tmdb', 'rottentomatoes', 'imdb', 'movielens'],
  runtimeMinutes: ['imdb', 'tmdb', 'rottentomatoes', 'movielens'],
  overview: ['tmdb', 'rottentomatoes', 'imdb', 'movielens'],
  posterUrl: ['tmdb', 'rottentomatoes', 'imdb', 'movielens'],
  isAdult: ['imdb', 'tmdb', 'movielens', 'rottentomatoes'],
  imdbId: ['imdb', 'tmdb', 'movielens', 'rottentomatoes'],
};

/** Ties between equally scored titles go to the first provider here. */
export const TITLE_PRECEDENCE = ['imdb', 'tmdb', 'movielens', 'rottentomatoes'];

/** A genre is the movie's when at least this share of the weight of providers with genres asserts it. */
export const GENRE_CONFIDENCE_THRESHOLD = 0.5;

export function precedenceRank(order: string[], providerKey: string): number {
  const index = order.indexOf(providerKey);
  return index === -1 ? order.length : index;
}
