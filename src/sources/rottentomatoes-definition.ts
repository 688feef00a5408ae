import type { ProviderDefinition } from './types.js';

/**
 * Rotten Tomatoes shares no ids with the other providers, so its rows only ever join a movie by
 * title and year, and never create one. Genre spellings without a canonical genre (Classics,
 * Art House & International, Special Interest, Television, Cult Movies, Faith & Spirituality,
 * Gay & Lesbian) are left out on purpose: they are recorded as unknown spellings, not dropped.
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
