import { filters } from './api.js';
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
    // The requests were already tried again (api.js); the person can ask once more.
    main.replaceChildren(h('div', { class: 'notice error', role: 'alert' },
      h('p', {}, `Something went wrong: ${error.message}`),
      h('button', { type: 'button', class: 'retry', onclick: () => void route() }, 'Try again')));
  }
}

/**
 * A box that scrolls sideways (a wide table on a phone) can be reached and scrolled with the
 * keyboard: it takes focus while it overflows.
 */
function focusableScrollBoxes() {
  for (const box of main.querySelectorAll('section, .table-scroll')) {
    if (box.scrollWidth > box.clientWidth + 1) box.tabIndex = 0;
    else box.removeAttribute('tabindex');
  }
}
window.addEventListener('resize', focusableScrollBoxes);
new MutationObserver(focusableScrollBoxes).observe(main, { childList: true, subtree: true });

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
// Choosing a genre with the mouse filters at once. With the keyboard, arrow keys only move the
// choice (Chromium fires 'change' on each press); Enter or leaving the list applies it.
const genreSelect = form.elements.genre;
let keyboardChoice = false;
let pendingChoice = false;
genreSelect.addEventListener('keydown', (event) => {
  keyboardChoice = event.key !== 'Enter';
  if (event.key === 'Enter' && pendingChoice) {
    event.preventDefault();
    pendingChoice = false;
    form.requestSubmit();
  }
});
genreSelect.addEventListener('pointerdown', () => (keyboardChoice = false));
genreSelect.addEventListener('change', () => {
  if (keyboardChoice) pendingChoice = true;
  else form.requestSubmit();
});
genreSelect.addEventListener('blur', () => {
  if (pendingChoice) {
    pendingChoice = false;
    form.requestSubmit();
  }
});

document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-link]');
  if (!link || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(link.getAttribute('href'));
});
window.addEventListener('popstate', () => void route());

async function loadFilters() {
  const data = await filters();
  for (const { key, name } of data.providers) providerNames.set(key.toLowerCase().replaceAll('_', ''), name);
  const chosen = new URL(window.location.href).searchParams.get('genre') ?? '';
  // Only genres some movie has, with how many; a chosen genre stays listed even without movies.
  const options = data.genres.map((g) => h('option', { value: g.name }, `${g.name} (${g.movies})`));
  if (chosen && !data.genres.some((g) => g.name === chosen)) options.push(h('option', { value: chosen }, `${chosen} (0)`));
  genreSelect.append(...options);
  genreSelect.value = chosen;
}

loadFilters()
  .catch(() => undefined) // the filter stays "All genres"; the page itself reports API errors
  .finally(() => void route());
