import type { PrecedenceField, ProviderDefinition } from '../sources/types.js';
import type { CuratedFields, ScoreProfileName } from './types.js';

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

/**
 * Score profiles: a multiplier per rating kind on top of each provider's reliability weight
 * ("rating.<kind>" in its definition). BALANCED is the c-rating; CRITICS lets critics dominate,
 * AUDIENCE users and audiences. No multiplier is 0, so a movie scored under one profile is scored
 * under all of them (a film only critics rate still has an AUDIENCE score: its critics' one).
 */
export const SCORE_PROFILES = {
  BALANCED: { critics: 1, users: 1, audience: 1 },
  CRITICS: { critics: 1, users: 0.15, audience: 0.15 },
  AUDIENCE: { critics: 0.15, users: 1, audience: 1 },
} as const satisfies Record<ScoreProfileName, Record<string, number>>;

export const SCORE_PROFILE_NAMES = Object.keys(SCORE_PROFILES) as ScoreProfileName[];

/** A rating kind no profile lists weighs 1 in every profile. */
export function profileMultiplier(profile: ScoreProfileName, kind: string): number {
  return (SCORE_PROFILES[profile] as Record<string, number>)[kind] ?? 1;
}
