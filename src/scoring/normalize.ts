import type { RatingScale } from '../sources/types.js';

/** Maps a rating on a provider's scale linearly onto 0-100, clamped. */
export function normalizeRating(value: number, scale: RatingScale): number {
  const share = (value - scale.min) / (scale.max - scale.min);
  return Math.round(Math.min(1, Math.max(0, share)) * 100 * 100) / 100;
}

/** Lower-cases, strips accents, punctuation and extra spaces: the form titles are compared in. */
export function normalizeTitle(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}
