import type { ProviderDefinition, SourceAdapter } from './types.js';

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
  // A TMDB document is the whole movie: null or missing is TMDB removing the value.
  fieldRules: { blank: 'clear' },
  precedence: {
    title: 2, originalTitle: 2, year: 2, releaseDate: 1, runtimeMinutes: 2, overview: 1, posterUrl: 1, isAdult: 2, imdbId: 2,
  },
  genreAliases: {
    ...Object.fromEntries(TMDB_GENRES.map((name) => [name, [name]])),
    // Retired from /3/genre/movie/list but still on older movies (TMDB 5000): where a film is from, a tag.
    Foreign: [],
  },
};

/** Everything else MovieC knows about TMDB: names, CLI and schedule (no inbox: it is an API). */
export const tmdbFacts: Omit<SourceAdapter, 'checkLocation' | 'read'> = {
  definition: tmdbDefinition,
  graphql: { name: 'TMDB', description: 'The Movie Database API (ids are TMDB movie ids).' },
  cli: {
    description: 'TMDB API (TMDB_API_TOKEN, TMDB_BASE_URL): given ids, changes since a date or the last run, or the most popular movies',
    options: [
      { flags: '--since <date>', description: 'movies changed since this date (YYYY-MM-DD); default: since the last successful run', location: 'since' },
      { flags: '--ids <ids>', description: 'these TMDB movie ids only, comma-separated (e.g. 550,603)', location: 'ids' },
      { flags: '--max-pages <n>', description: 'first import: pages of 20 popular movies to read (default 5, at most 500)', location: 'maxPages' },
    ],
  },
  schedule: {
    cron: '15 * * * *',
    catchUp: 'hourly',
    reason: 'hourly changes, TMDB_API_TOKEN is set',
    // No location: the TMDB adapter reads the changes since its last successful run.
    plan: (setting) => (setting('TMDB_API_TOKEN') ? { location: {} } : { missing: 'TMDB_API_TOKEN is not set' }),
  },
  incrementalLocation: {},
};
