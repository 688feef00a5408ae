import { searchMovies } from './api.js';
import { formatNumber, h } from './dom.js';
import { breakdown, cRatingBadge } from './rating.js';

/** The search page: results with their c-rating and per-provider breakdown, or the top rated movies. */
export async function renderSearch(main, { query, genre }) {
  main.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  const result = await searchMovies({ query, genre });
  const heading = query
    ? `${formatNumber(result.totalCount)} result${result.totalCount === 1 ? '' : 's'} for “${query}”${genre ? ` in ${genre}` : ''}`
    : `Top rated${genre ? ` ${genre}` : ''} movies`;
  const items = result.edges.map(({ node }) => resultItem(node));
  main.replaceChildren(
    h('h1', { class: 'page-title' }, heading),
    items.length
      ? h('ol', { class: 'results', id: 'results' }, items)
      : h('p', { class: 'notice', id: 'results' }, query ? 'No movie title contains that text.' : 'No movies yet: import a provider first.'),
  );
}

function resultItem(movie) {
  return h('li', { class: 'result', dataset: { movieId: movie.id } },
    cRatingBadge(movie.score),
    h('div', { class: 'result-body' },
      h('h2', { class: 'result-title' },
        h('a', { href: `/movie/${movie.id}`, 'data-link': true }, movie.title),
        movie.year ? h('span', { class: 'year' }, ` (${movie.year})`) : null),
      movie.genres.length ? h('p', { class: 'genres' }, movie.genres.map((g) => g.name).join(' · ')) : null,
      breakdown(movie.ratings)));
}
