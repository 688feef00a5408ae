/** The website's data: the public GraphQL API, plus provenance and the mirrored poster per movie. */

export class ApiError extends Error {}

export async function graphql(query, variables = {}) {
  const response = await fetch('/graphql', {
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
  const response = await fetch(`/movies/${encodeURIComponent(id)}/provenance`);
  if (!response.ok) return { provenance: {}, poster: null };
  return response.json();
}

const RATING_FIELDS = 'provider { key name } kind rawValue rawScale normalized votes';

const LIST_FIELDS = `totalCount edges { node { id title year
  score { value confidence providerCount votes }
  ratings { ${RATING_FIELDS} }
  genres { name confidence } } }`;

export function searchMovies({ query, genre }) {
  const genres = genre ? [genre] : null;
  if (query) {
    return graphql(`query Search($query: String!, $genres: [String!]) {
      result: searchMovies(query: $query, genres: $genres, first: 20) { ${LIST_FIELDS} } }`, { query, genres })
      .then((data) => data.result);
  }
  return graphql(`query Top($filter: MovieFilter) {
    result: movies(filter: $filter, orderBy: SCORE_DESC, first: 20) { ${LIST_FIELDS} } }`, { filter: genres ? { genres } : null })
    .then((data) => data.result);
}

export function genres() {
  return graphql('{ genres { name } providers { key name } }');
}

export function movie(id) {
  return graphql(`query Movie($id: ID!) { movie(id: $id) {
    id title originalTitle year releaseDate runtimeMinutes overview posterUrl updatedAt
    score { value confidence providerCount votes }
    ratings { ${RATING_FIELDS} }
    titles { provider { key name } title score }
    genres { name confidence }
    externalIds { provider { key name } externalId method confidence matchedAt reason } } }`, { id }).then((data) => data.movie);
}
