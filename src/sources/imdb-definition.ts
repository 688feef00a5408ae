import type { ProviderDefinition } from './types.js';

const same = (names: string[]): Record<string, string[]> => Object.fromEntries(names.map((n) => [n, [n]]));

export const imdbDefinition: ProviderDefinition = {
  key: 'imdb',
  name: 'IMDb',
  kind: 'FILE',
  createsMovies: true,
  ratingScales: { users: { label: '1-10', min: 1, max: 10 } },
  weights: { title: 1, 'rating.users': 1 },
  genreAliases: {
    ...same([
      'Action', 'Adult', 'Adventure', 'Animation', 'Biography', 'Comedy', 'Crime', 'Documentary', 'Drama',
      'Family', 'Fantasy', 'Film-Noir', 'Game-Show', 'History', 'Horror', 'Music', 'Musical', 'Mystery',
      'News', 'Reality-TV', 'Romance', 'Short', 'Sport', 'Talk-Show', 'Thriller', 'War', 'Western',
    ]),
    'Sci-Fi': ['Science Fiction'],
  },
};
