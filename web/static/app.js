import { genres } from './api.js';
import { h } from './dom.js';
import { renderMovie } from './movie-view.js';
import { renderSearch } from './search-view.js';

const main = document.getElementById('main');
const form = document.getElementById('search');
/** Provider key as stored (imdb, rottentomatoes) -> display name, for provenance. */
const providerNames = new Map();

/** Shows the page the address names: /movie/<id>, or the search (?q=…&genre=…). */
async function route() {
  const url = new URL(window.location.href);
  const moviePath = /^\/movie\/([^/]+)$/.exec(url.pathname);
  try {
    if (moviePath) {
      const movie = await renderMovie(main, decodeURIComponent(moviePath[1]), providerNames);
      document.title = movie ? `${movie.title} – MovieC` : 'Movie not found – MovieC';
    } else {
      const query = (url.searchParams.get('q') ?? '').trim();
      const genre = url.searchParams.get('genre') ?? '';
      form.elements.q.value = query;
      form.elements.genre.value = genre;
      document.title = query ? `${query} – MovieC` : 'MovieC';
      await renderSearch(main, { query, genre });
    }
  } catch (error) {
    main.replaceChildren(h('p', { class: 'notice error', role: 'alert' }, `Something went wrong: ${error.message}`));
  }
}

function navigate(href) {
  window.history.pushState({}, '', href);
  window.scrollTo(0, 0);
  void route();
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const params = new URLSearchParams();
  const query = form.elements.q.value.trim();
  if (query) params.set('q', query);
  if (form.elements.genre.value) params.set('genre', form.elements.genre.value);
  navigate(`/${params.size ? `?${params}` : ''}`);
});
// Choosing a genre filters at once.
form.elements.genre.addEventListener('change', () => form.requestSubmit());

document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-link]');
  if (!link || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(link.getAttribute('href'));
});
window.addEventListener('popstate', () => void route());

async function loadFilters() {
  const data = await genres();
  for (const { key, name } of data.providers) providerNames.set(key.toLowerCase().replaceAll('_', ''), name);
  const select = form.elements.genre;
  const chosen = new URL(window.location.href).searchParams.get('genre') ?? '';
  select.append(...data.genres.map((g) => h('option', { value: g.name }, g.name)));
  select.value = chosen;
}

loadFilters()
  .catch(() => undefined) // the filter stays "All genres"; the page itself reports API errors
  .finally(() => void route());
