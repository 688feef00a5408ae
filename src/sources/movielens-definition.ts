import type { ProviderDefinition } from './types.js';

const same = (names: string[]): Record<string, string[]> => Object.fromEntries(names.map((n) => [n, [n]]));

/** MovieLens carries IMDb ids (links.csv), so a film no one has yet becomes a new movie. IMAX is a format, kept as a tag. */
export const movieLensDefinition: ProviderDefinition = {
  key: 'movielens',
  name: 'MovieLens',
  kind: 'FILE',
  createsMovies: true,
  ratingScales: { users: { label: '0.5-5', min: 0.5, max: 5 } },
  weights: { title: 0.6, genres: 0.8, 'rating.users': 0.9 },
  genreAliases: {
    ...same([
      'Action', 'Adventure', 'Animation', 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy', 'Film-Noir', 'Horror',
      'Musical', 'Mystery', 'Romance', 'Thriller', 'War', 'Western',
    ]),
    Children: ['Family'],
    // The spelling of MovieLens 100K and 1M.
    "Children's": ['Family'],
    'Sci-Fi': ['Science Fiction'],
    IMAX: [],
  },
};
