import { fullUnlessMarkedPartial } from './snapshot.js';
import type { InboxEntry, ProviderDefinition, SourceAdapter } from './types.js';

const same = (names: string[]): Record<string, string[]> => Object.fromEntries(names.map((n) => [n, [n]]));

/** MovieLens carries IMDb ids (links.csv), so a film no one has yet becomes a new movie. IMAX is a format, kept as a tag. */
export const movieLensDefinition: ProviderDefinition = {
  key: 'movielens',
  name: 'MovieLens',
  kind: 'FILE',
  createsMovies: true,
  ratingScales: { users: { label: '0.5-5', min: 0.5, max: 5 } },
  weights: { title: 0.6, genres: 0.8, 'rating.users': 0.9 },
  // links.csv may lack a link in one release: blank ids keep the stored ones; "(no genres listed)"
  // removes genres explicitly (SourceRecord.removed). The users rating is the mean of the whole
  // ratings.csv: a movie nobody rates in this release has no rating any more.
  fieldRules: { blank: 'keep', fields: { 'rating.users': 'clear' } },
  precedence: {
    title: 3, originalTitle: 3, year: 3, releaseDate: 4, runtimeMinutes: 4, overview: 4, posterUrl: 4, isAdult: 3, imdbId: 3,
  },
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

const MOVIELENS_FILES = ['movies.csv', 'links.csv', 'ratings.csv'];

/** Everything else MovieC knows about MovieLens: names, CLI, settings, schedule and inbox. */
export const movieLensFacts: Omit<SourceAdapter, 'checkLocation' | 'read'> = {
  definition: movieLensDefinition,
  isFullSnapshot: fullUnlessMarkedPartial,
  graphql: { name: 'MOVIELENS', description: 'MovieLens datasets (ids are MovieLens movieIds).' },
  cli: {
    description: 'MovieLens movies.csv, links.csv and ratings.csv (folder or http(s) base URL)',
    options: [
      { flags: '--dir <dir>', description: 'folder or base URL holding movies.csv, links.csv and ratings.csv', location: 'dir', required: true, input: { folder: ['movies.csv', 'links.csv', 'ratings.csv'] } },
    ],
  },
  settings: { MOVIELENS_DIR: 'folder or base URL of movies.csv, links.csv and ratings.csv for the nightly import' },
  schedule: {
    cron: '0 3 * * *',
    catchUp: 'nightly',
    reason: 'nightly, MOVIELENS_DIR is set',
    plan: (setting) => {
      const dir = setting('MOVIELENS_DIR');
      return dir ? { location: { dir } } : { missing: 'MOVIELENS_DIR is not set' };
    },
  },
  inbox: {
    describe: 'a MovieLens folder',
    folderHolds: MOVIELENS_FILES.join(', '),
    role(entry: InboxEntry) {
      if (!entry.isDirectory) return null;
      const children = new Set(entry.children ?? []);
      return MOVIELENS_FILES.every((name) => children.has(name)) ? 'dir' : null;
    },
  },
};
