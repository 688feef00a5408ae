import { fullUnlessMarkedPartial } from './snapshot.js';
import type { InboxEntry, ProviderDefinition, SourceAdapter } from './types.js';

/**
 * Rotten Tomatoes shares no ids with the other providers, so its rows only ever join a movie by
 * title and year, and never create one. Its genre vocabulary (the 21 spellings of the real
 * export) is mapped in full: Television is a TV movie; Classics, Art House & International, Cult
 * Movies, Faith & Spirituality, Gay & Lesbian and Special Interest say how a film is shelved, not
 * its genre, and are kept as tags (empty lists).
 */
export const rottenTomatoesDefinition: ProviderDefinition = {
  key: 'rottentomatoes',
  name: 'Rotten Tomatoes',
  kind: 'FILE',
  createsMovies: false,
  ratingScales: {
    critics: { label: '0-100%', min: 0, max: 100 },
    audience: { label: '0-100%', min: 0, max: 100 },
  },
  weights: { title: 0.8, genres: 0.7, 'rating.critics': 1, 'rating.audience': 0.8 },
  // The shared CSV leaves a cell blank when the scrape did not get the value: a blank says nothing,
  // the stored value (a tomatometer, an audience score, a runtime) stays.
  fieldRules: { blank: 'keep' },
  precedence: {
    title: 4, originalTitle: 4, year: 4, releaseDate: 2, runtimeMinutes: 3, overview: 2, posterUrl: 2, isAdult: 4, imdbId: 4,
  },
  genreAliases: {
    'Action & Adventure': ['Action', 'Adventure'],
    'Art House & International': [],
    Classics: [],
    'Cult Movies': [],
    'Faith & Spirituality': [],
    'Gay & Lesbian': [],
    'Special Interest': [],
    Television: ['TV Movie'],
    Animation: ['Animation'],
    'Anime & Manga': ['Animation'],
    Comedy: ['Comedy'],
    Documentary: ['Documentary'],
    Drama: ['Drama'],
    Horror: ['Horror'],
    'Kids & Family': ['Family'],
    'Musical & Performing Arts': ['Musical'],
    'Mystery & Suspense': ['Mystery', 'Thriller'],
    Romance: ['Romance'],
    'Science Fiction & Fantasy': ['Science Fiction', 'Fantasy'],
    'Sports & Fitness': ['Sport'],
    Western: ['Western'],
  },
};

const RT_NAME = /rotten_tomatoes_movies[^/]*\.csv(\.gz)?$/i;

/** Everything else MovieC knows about Rotten Tomatoes: names, CLI, settings, schedule and inbox. */
export const rottenTomatoesFacts: Omit<SourceAdapter, 'checkLocation' | 'read'> = {
  definition: rottenTomatoesDefinition,
  isFullSnapshot: fullUnlessMarkedPartial,
  graphql: { name: 'ROTTEN_TOMATOES', description: 'Rotten Tomatoes movie CSV (ids are rotten_tomatoes_link values).' },
  cli: {
    description: 'Rotten Tomatoes movies CSV (rotten_tomatoes_movies.csv layout; path or URL, .gz or plain)',
    options: [{ flags: '--file <file>', description: 'rotten_tomatoes_movies.csv path or URL', location: 'file', required: true, input: 'file' }],
  },
  settings: { ROTTENTOMATOES_FILE: 'rotten_tomatoes_movies.csv path or URL of the nightly import' },
  schedule: {
    cron: '30 2 * * *',
    catchUp: 'nightly',
    reason: 'nightly, ROTTENTOMATOES_FILE is set',
    plan: (setting) => {
      const file = setting('ROTTENTOMATOES_FILE');
      return file ? { location: { file } } : { missing: 'ROTTENTOMATOES_FILE is not set' };
    },
  },
  inbox: {
    describe: 'a Rotten Tomatoes movies CSV',
    role(entry: InboxEntry) {
      if (entry.isDirectory) return null;
      if (RT_NAME.test(entry.name) || /(^|[,"])rotten_tomatoes_link([,"]|$)/.test(entry.header ?? '')) return 'file';
      return null;
    },
  },
};
