import type { PrecedenceField, ProviderDefinition } from '../sources/types.js';
import type { CuratedFields } from './types.js';

/**
 * The per-field rule table: each curated field (but the title, which is scored) is supplied by
 * the provider with the best rank for it (each provider's `precedence`, stated in its module) that
 * has a non-empty value; an empty value never overwrites a present one. Providers without a rank
 * for a field come after those with one, by key.
 */
export const PRECEDENCE_FIELDS = [
  'originalTitle', 'year', 'releaseDate', 'runtimeMinutes', 'overview', 'posterUrl', 'isAdult', 'imdbId',
] as const satisfies readonly (Exclude<keyof CuratedFields, 'title'> & PrecedenceField)[];

/** A genre is the movie's when at least this share of the weight of providers with genres asserts it. */
export const GENRE_CONFIDENCE_THRESHOLD = 0.5;

/** The provider's rank for a field (lower first); unranked providers after every ranked one. */
export function precedenceRank(definition: ProviderDefinition | undefined, field: PrecedenceField): number {
  return definition?.precedence?.[field] ?? Number.MAX_SAFE_INTEGER;
}
