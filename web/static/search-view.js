import { searchMovies } from './api.js';
import { formatNumber, h } from './dom.js';
import { breakdown, cRatingBadge } from './rating.js';

/**
 * The search page: results with their c-rating and per-provider breakdown, or the top rated
 * movies; a page at a time, with "More results" for the next one.
 */
export async function renderSearch(main, { query, genre }) {
  main.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  const result = await searchMovies({ query, genre });
  const heading = query
    ? `${formatNumber(result.totalCount)} result${result.totalCount === 1 ? '' : 's'} for “${query}”${genre ? ` in ${genre}` : ''}`
    : `Top rated${genre ? ` ${genre}` : ''} movies`;
  if (!result.edges.length) {
    main.replaceChildren(h('h1', { class: 'page-title' }, heading), h('p', { class: 'notice', id: 'results' }, emptyText(query, genre)));
    return;
  }
  const list = h('ol', { class: 'results', id: 'results' }, result.edges.map(({ node }) => resultItem(node)));
  const status = h('p', { class: 'muted small', id: 'results-status', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'more', id: 'more-results' }, 'More results');
  let pageInfo = result.pageInfo;
  const update = () => {
    status.textContent = `Showing ${formatNumber(list.children.length)} of ${formatNumber(result.totalCount)}`;
    more.hidden = !pageInfo.hasNextPage;
  };
  more.addEventListener('click', async () => {
    more.disabled = true;
    more.textContent = 'Loading…';
    try {
      const next = await searchMovies({ query, genre, after: pageInfo.endCursor });
      const items = next.edges.map(({ node }) => resultItem(node));
      list.append(...items);
      pageInfo = next.pageInfo;
      // Keyboard users continue from the first new result.
      items[0]?.querySelector('a')?.focus();
    } catch (error) {
      status.textContent = `Could not load more results: ${error.message}. Try again.`;
    } finally {
      more.disabled = false;
      more.textContent = 'More results';
      update();
    }
  });
  update();
  main.replaceChildren(h('h1', { class: 'page-title' }, heading), list, h('div', { class: 'pager' }, status, more));
}

function emptyText(query, genre) {
  if (query) return genre ? `No ${genre} movie title contains that text.` : 'No movie title contains that text.';
  if (genre) return `No movies in ${genre} yet.`;
  return 'No movies yet: import a provider first (see the README, Importing).';
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
