import type { ProviderDefinition } from './types.js';

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
