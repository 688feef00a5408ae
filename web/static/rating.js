import { formatNumber, h } from './dom.js';

/**
 * The c-rating as a badge coloured from red (0) to green (100), dark enough for white text at any
 * hue (contrast >= 4.5:1); read by screen readers as "c-rating 81 of 100". A dash when no provider
 * rates the movie.
 */
export function cRatingBadge(score, size = 'small') {
  if (!score) {
    return h('span', { class: `c-rating c-rating-${size} c-rating-none`, role: 'img', 'aria-label': 'No c-rating: no provider rates this movie yet', title: 'No provider rates this movie yet' }, '–');
  }
  const value = formatNumber(score.value);
  const badge = h('span', {
    class: `c-rating c-rating-${size}`,
    role: 'img',
    'aria-label': `c-rating ${value} of 100`,
    title: `c-rating ${formatNumber(score.value, 1)} / 100 · confidence ${formatNumber(score.confidence * 100)} %`,
    dataset: { testid: 'c-rating' },
  }, value);
  badge.style.setProperty('--hue', String(Math.round(score.value * 1.2)));
  return badge;
}

const KIND_LABELS = { users: 'users', critics: 'critics', audience: 'audience' };

export function ratingLabel(rating) {
  return `${rating.provider.name} ${KIND_LABELS[rating.kind] ?? rating.kind}`;
}

/** The raw value as the provider shows it: 8.1 / 10, 91 %, 4.1 / 5. */
export function rawRating(rating) {
  if (rating.rawScale.includes('%')) return `${formatNumber(rating.rawValue)} %`;
  return `${formatNumber(rating.rawValue, 1)} / ${rating.rawScale.split('-').at(-1)}`;
}

export function votes(count) {
  return count === null || count === undefined ? 'votes unknown' : `${formatNumber(count)} vote${count === 1 ? '' : 's'}`;
}

/** Per-provider breakdown: one chip per provider rating, normalised to 0–100. */
export function breakdown(ratings) {
  if (!ratings.length) return h('p', { class: 'muted' }, 'No ratings yet.');
  return h('ul', { class: 'breakdown', 'aria-label': 'Ratings by provider' },
    ratings.map((rating) => h('li', { class: 'chip', dataset: { provider: rating.provider.key } },
      h('span', { class: 'chip-label' }, ratingLabel(rating)),
      h('strong', {}, formatNumber(rating.normalized)),
      h('span', { class: 'muted' }, ` · ${rawRating(rating)} · ${votes(rating.votes)}`))));
}
