import { fullUnlessMarkedPartial } from './snapshot.js';
import type { InboxEntry, ProviderDefinition, SourceAdapter } from './types.js';

const same = (names: string[]): Record<string, string[]> => Object.fromEntries(names.map((n) => [n, [n]]));

export const imdbDefinition: ProviderDefinition = {
  key: 'imdb',
  name: 'IMDb',
  kind: 'FILE',
  createsMovies: true,
  ratingScales: { users: { label: '1-10', min: 1, max: 10 } },
  weights: { title: 1, 'rating.users': 1 },
  precedence: {
    title: 1, originalTitle: 1, year: 1, releaseDate: 3, runtimeMinutes: 1, overview: 3, posterUrl: 3, isAdult: 1, imdbId: 1,
  },
  genreAliases: {
    ...same([
      'Action', 'Adult', 'Adventure', 'Animation', 'Biography', 'Comedy', 'Crime', 'Documentary', 'Drama',
      'Family', 'Fantasy', 'Film-Noir', 'Game-Show', 'History', 'Horror', 'Music', 'Musical', 'Mystery',
      'News', 'Reality-TV', 'Romance', 'Short', 'Sport', 'Talk-Show', 'Thriller', 'War', 'Western',
    ]),
    'Sci-Fi': ['Science Fiction'],
  },
  // The datasets are complete and write `\N` for a value IMDb does not have: a blank is IMDb
  // removing it, and a title missing from title.ratings has no rating any more. (A rejected row
  // still changes nothing: SourceItem reject `holds`.)
  fieldRules: { blank: 'clear' },
};

const IMDB_NAME = /title\.(basics|ratings)\.tsv(\.gz)?$/i;

/** Everything else MovieC knows about IMDb: names, CLI, settings, schedule and inbox. */
export const imdbFacts: Omit<SourceAdapter, 'checkLocation' | 'read'> = {
  definition: imdbDefinition,
  isFullSnapshot: fullUnlessMarkedPartial,
  graphql: { name: 'IMDB', description: 'IMDb non-commercial datasets (ids are tconsts such as tt0111161).' },
  cli: {
    description: 'IMDb datasets: title.basics and title.ratings (path or URL, .gz or plain)',
    options: [
      { flags: '--basics <file>', description: 'title.basics.tsv(.gz) path or URL', location: 'basics', required: true, input: 'file' },
      { flags: '--ratings <file>', description: 'title.ratings.tsv(.gz) path or URL', location: 'ratings', required: true, input: 'file' },
    ],
  },
  settings: {
    IMDB_BASICS_URL: 'title.basics.tsv(.gz) path or URL of the nightly import',
    IMDB_RATINGS_URL: 'title.ratings.tsv(.gz) path or URL of the nightly import',
  },
  schedule: {
    cron: '0 2 * * *',
    catchUp: 'nightly',
    reason: 'nightly, IMDB_BASICS_URL and IMDB_RATINGS_URL are set',
    plan(setting) {
      const basics = setting('IMDB_BASICS_URL');
      const ratings = setting('IMDB_RATINGS_URL');
      if (basics && ratings) return { location: { basics, ratings } };
      if (basics || ratings) return { missing: 'IMDB_BASICS_URL and IMDB_RATINGS_URL must be set together', inconsistent: true };
      return { missing: 'IMDB_BASICS_URL and IMDB_RATINGS_URL are not set' };
    },
  },
  inbox: {
    describe: 'an IMDb title.basics/title.ratings TSV',
    role(entry: InboxEntry) {
      if (entry.isDirectory) return null;
      const named = IMDB_NAME.exec(entry.name);
      if (named) return named[1]!.toLowerCase();
      const header = entry.header ?? '';
      if (header.startsWith('tconst\ttitleType\t')) return 'basics';
      if (header.startsWith('tconst\taverageRating\t')) return 'ratings';
      return null;
    },
    parts: {
      roles: ['basics', 'ratings'],
      waitingFor: { basics: 'its IMDb title.basics file', ratings: 'its IMDb title.ratings file' },
      // What precedes `title.` in the name, and the compression: `2026-01-02.title.basics.tsv` pairs with `2026-01-02.title.ratings.tsv`.
      pairKey(entry: InboxEntry) {
        const named = IMDB_NAME.exec(entry.name);
        return named ? entry.name.slice(0, named.index).toLowerCase() + (named[2] ?? '').toLowerCase() : null;
      },
    },
  },
};
