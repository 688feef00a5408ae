/** The website's data: the public GraphQL API, plus provenance and the mirrored poster per movie. */

export class ApiError extends Error {}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * fetch, tried again after a network failure or a 502/503/504 (a restart, a proxy in between):
 * three attempts, 0.5 s then 1.5 s apart. Other answers are returned as they are.
 */
export async function fetchWithRetry(url, options = {}, attempts = 3) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const response = await fetch(url, options);
      if (![502, 503, 504].includes(response.status) || attempt >= attempts) return response;
    } catch (error) {
      if (attempt >= attempts) throw new ApiError(`The server could not be reached (${error.message})`);
    }
    await sleep(attempt === 1 ? 500 : 1500);
  }
}

export async function graphql(query, variables = {}) {
  const response = await fetchWithRetry('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json().catch(() => null);
  if (!body || body.errors?.length) {
    throw new ApiError(body?.errors?.[0]?.message ?? `The API answered ${response.status}`);
  }
  return body.data;
}

export async function movieExtras(id) {
  const response = await fetchWithRetry(`/movies/${encodeURIComponent(id)}/provenance`);
  if (!response.ok) return { provenance: {}, poster: null };
  return response.json();
}

const RATING_FIELDS = 'provider { key name } kind rawValue rawScale normalized votes';

const LIST_FIELDS = `totalCount pageInfo { hasNextPage endCursor } edges { node { id title year
  score { value confidence providerCount votes }
  ratings { ${RATING_FIELDS} }
  genres { name confidence } } }`;

/** Results a page: the search's matches, or the top rated movies; `after` is the previous page's endCursor. */
export const PAGE_SIZE = 20;

export function searchMovies({ query, genre, after = null }) {
  const genres = genre ? [genre] : null;
  // The first page is asked without `after` at all (not `after: null`).
  const [declare, pass] = after ? [', $after: String', ', after: $after'] : ['', ''];
  if (query) {
    return graphql(`query Search($query: String!, $genres: [String!]${declare}) {
      result: searchMovies(query: $query, genres: $genres, first: ${PAGE_SIZE}${pass}) { ${LIST_FIELDS} } }`, { query, genres, ...(after ? { after } : {}) })
      .then((data) => data.result);
  }
  return graphql(`query Top($filter: MovieFilter${declare}) {
    result: movies(filter: $filter, orderBy: SCORE_DESC, first: ${PAGE_SIZE}${pass}) { ${LIST_FIELDS} } }`, { filter: genres ? { genres } : null, ...(after ? { after } : {}) })
    .then((data) => data.result);
}

/** Genres some movie has, with their counts (the site's own JSON), and the providers' names. */
export async function filters() {
  const [counts, data] = await Promise.all([
    fetchWithRetry('/genres.json').then((response) => (response.ok ? response.json() : { genres: [] })),
    graphql('{ providers { key name } }'),
  ]);
  return { genres: counts.genres, providers: data.providers };
}

export function movie(id) {
  return graphql(`query Movie($id: ID!) { movie(id: $id) {
    id title originalTitle year releaseDate runtimeMinutes overview posterUrl updatedAt
    score { value confidence providerCount votes }
    ratings { ${RATING_FIELDS} }
    titles { provider { key name } title score }
    genres { name confidence }
    externalIds { provider { key name } externalId method confidence matchedAt reason }
    rejectedMatches { provider { key name } externalId rejectedAt } } }`, { id }).then((data) => data.movie);
}
