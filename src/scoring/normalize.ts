import type { RatingScale } from '../sources/types.js';

/** Maps a rating on a provider's scale linearly onto 0-100, clamped. */
export function normalizeRating(value: number, scale: RatingScale): number {
  const share = (value - scale.min) / (scale.max - scale.min);
  return Math.round(Math.min(1, Math.max(0, share)) * 100 * 100) / 100;
}
