import { movie as fetchMovie, movieExtras } from './api.js';
import { formatNumber, h } from './dom.js';
import { matchTable } from './match-view.js';
import { cRatingBadge, rawRating, ratingLabel, votes } from './rating.js';
import { scorePanel } from './score-panel.js';

const FIELD_LABELS = {
  title: 'Title', originalTitle: 'Original title', year: 'Year', releaseDate: 'Release date',
  runtimeMinutes: 'Runtime', overview: 'Overview', posterUrl: 'Poster', imdbId: 'IMDb id', isAdult: 'Adult flag',
};

const PROVIDER_PAGES = {
  IMDB: (id) => `https://www.imdb.com/title/${id}/`,
  TMDB: (id) => `https://www.themoviedb.org/movie/${id}`,
  ROTTEN_TOMATOES: (id) => `https://www.rottentomatoes.com/${id}`,
  MOVIELENS: (id) => `https://movielens.org/movies/${id}`,
};

/** One movie: poster, facts, c-rating, ratings by provider, titles, genres with confidence, provenance. */
export async function renderMovie(main, id, providerNames) {
  main.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  const movie = await fetchMovie(id);
  if (!movie) {
    main.replaceChildren(h('h1', { class: 'page-title' }, 'Movie not found'), h('p', {}, h('a', { href: '/', 'data-link': true }, 'Back to the search')));
    return null;
  }
  const extras = await movieExtras(id);
  const facts = [
    movie.year,
    movie.runtimeMinutes ? `${movie.runtimeMinutes} min` : null,
    movie.releaseDate ? `released ${movie.releaseDate}` : null,
  ].filter(Boolean).join(' · ');
  main.replaceChildren(h('article', { class: 'movie', id: 'movie', dataset: { movieId: movie.id } },
    h('div', { class: 'movie-head' },
      extras.poster
        ? h('img', { class: 'poster', src: extras.poster.url, alt: `Poster of ${movie.title}`, dataset: { mirrored: String(extras.poster.mirrored) } })
        : h('div', { class: 'poster poster-none', 'aria-hidden': 'true' }, 'No poster'),
      h('div', { class: 'movie-info' },
        h('h1', { class: 'page-title' }, movie.title),
        movie.originalTitle && movie.originalTitle !== movie.title ? h('p', { class: 'muted' }, `Original title: ${movie.originalTitle}`) : null,
        facts ? h('p', { class: 'facts' }, facts) : null,
        scoreBox(movie.score),
        movie.overview ? h('p', { class: 'overview' }, movie.overview) : null)),
    section('Ratings by provider', 'ratings', ratingsTable(movie.ratings)),
    scorePanel(movie.id),
    section('Titles', 'titles', titlesTable(movie.titles)),
    section('Genres', 'genres', genreList(movie.genres)),
    section('Where each field comes from', 'provenance', provenanceTable(extras.provenance, providerNames)),
    section('Provider ids', 'ids', idList(movie.externalIds)),
    section('How each provider was matched', 'matching', matchTable(movie.externalIds, movie.rejectedMatches)),
    h('p', { class: 'muted small' }, `Updated ${new Date(movie.updatedAt).toLocaleString('en-GB')}`)));
  return movie;
}

function section(title, id, content) {
  return h('section', { id, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), content);
}

function scoreBox(score) {
  return h('div', { class: 'score-box' },
    cRatingBadge(score, 'large'),
    score
      ? h('p', {},
        h('strong', {}, 'c-rating'), ` from ${score.providerCount} provider${score.providerCount === 1 ? '' : 's'}, ${votes(score.votes)}`,
        h('br'), `confidence ${formatNumber(score.confidence * 100)} %`)
      : h('p', { class: 'muted' }, 'No provider rates this movie yet.'));
}

function table(headers, rows, numericColumns = []) {
  return h('div', { class: 'table-scroll' }, h('table', {},
    h('thead', {}, h('tr', {}, headers.map((title, i) => h('th', { class: numericColumns.includes(i) ? 'num' : null }, title)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((cell, i) => h('td', { class: numericColumns.includes(i) ? 'num' : null }, cell)))))));
}

function ratingsTable(ratings) {
  if (!ratings.length) return h('p', { class: 'muted' }, 'No provider rates this movie yet.');
  return table(
    ['Provider', 'Rating', 'Normalised (0–100)', 'Votes'],
    ratings.map((r) => [
      ratingLabel(r),
      rawRating(r),
      h('span', { class: 'meter-cell' }, h('meter', { min: 0, max: 100, value: r.normalized, 'aria-hidden': 'true' }), formatNumber(r.normalized, 1)),
      r.votes === null ? '–' : formatNumber(r.votes),
    ]),
    [1, 2, 3],
  );
}

function titlesTable(titles) {
  if (!titles.length) return h('p', { class: 'muted' }, 'No provider titles.');
  return table(['Provider', 'Title', 'Score'], titles.map((t) => [t.provider.name, t.title, formatNumber(t.score, 2)]), [2]);
}

function genreList(genres) {
  if (!genres.length) return h('p', { class: 'muted' }, 'No genres.');
  return h('ul', { class: 'genre-list' }, genres.map((g) => h('li', {},
    h('span', { class: 'genre-name' }, g.name),
    h('meter', { min: 0, max: 1, value: g.confidence, title: `${formatNumber(g.confidence * 100)} % confidence`, 'aria-label': `${g.name}: ${formatNumber(g.confidence * 100)} % confidence` }),
    h('span', { class: 'muted' }, `${formatNumber(g.confidence * 100)} %`))));
}

function provenanceTable(provenance, providerNames) {
  const order = Object.keys(FIELD_LABELS);
  const rank = (field) => (order.includes(field) ? order.indexOf(field) : order.length);
  const rows = Object.entries(provenance ?? {}).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  if (!rows.length) return h('p', { class: 'muted' }, 'No provenance recorded.');
  return table(['Field', 'Supplied by'], rows.map(([field, provider]) => [
    FIELD_LABELS[field] ?? field,
    provider === 'lock' ? 'fixed by an administrator' : (providerNames.get(provider) ?? provider),
  ]));
}

function idList(ids) {
  if (!ids.length) return h('p', { class: 'muted' }, 'No provider ids.');
  return h('ul', { class: 'id-list' }, ids.map((e) => {
    const page = PROVIDER_PAGES[e.provider.key]?.(e.externalId);
    return h('li', {}, `${e.provider.name}: `, page ? h('a', { href: page, rel: 'noopener noreferrer', target: '_blank' }, e.externalId) : e.externalId);
  }));
}
