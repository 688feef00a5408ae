import type { ProviderDefinition } from './types.js';

/** TMDB's 19 movie genres, spelled as /3/genre/movie/list spells them; each is a canonical genre too. */
export const TMDB_GENRES = [
  'Action', 'Adventure', 'Animation', 'Comedy', 'Crime', 'Documentary', 'Drama', 'Family', 'Fantasy', 'History',
  'Horror', 'Music', 'Mystery', 'Romance', 'Science Fiction', 'TV Movie', 'Thriller', 'War', 'Western',
] as const;

/** TMDB carries IMDb ids (external_ids), so a film no one has yet becomes a new movie. */
export const tmdbDefinition: ProviderDefinition = {
  key: 'tmdb',
  name: 'TMDB',
  kind: 'API',
  createsMovies: true,
  ratingScales: { users: { label: '0-10', min: 0, max: 10 } },
  weights: { title: 1, genres: 1, 'rating.users': 0.9, overview: 1 },
  genreAliases: {
    ...Object.fromEntries(TMDB_GENRES.map((name) => [name, [name]])),
    // Retired from /3/genre/movie/list but still on older movies (TMDB 5000): where a film is from, a tag.
    Foreign: [],
  },
};
