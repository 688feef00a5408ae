import { readFile } from 'node:fs/promises';
import { buildSchema, findBreakingChanges, validateSchema } from 'graphql';
import { printMovieCSchema } from '../../src/graphql/schema.js';

const SCHEMA_FILE = new URL('../../schema.graphql', import.meta.url);

describe('schema.graphql', () => {
  it('is the schema the code builds', async () => {
    const committed = await readFile(SCHEMA_FILE, 'utf8').catch(() => '');
    const printed = await printMovieCSchema();
    if (committed !== printed) {
      throw new Error('schema.graphql is stale or missing: run `npm run schema:export` and commit the result');
    }
  });

  it('is a valid schema that describes every type, field and argument', async () => {
    const schema = buildSchema(await printMovieCSchema());
    expect(validateSchema(schema)).toEqual([]);
    const undocumented: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)) continue;
      if (!type.description) undocumented.push(type.name);
      if ('getFields' in type) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) undocumented.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) {
            if (!arg.description) undocumented.push(`${type.name}.${field.name}(${arg.name})`);
          }
        }
      }
      if ('getValues' in type) {
        for (const value of type.getValues()) if (!value.description) undocumented.push(`${type.name}.${value.name}`);
      }
    }
    expect(undocumented).toEqual([]);
  });

  it('keeps every query of the contract without breaking changes', async () => {
    const contract = buildSchema(`
      type Query {
        movie(id: ID!): Movie
        movieByExternalId(provider: ProviderKey!, externalId: String!): Movie
        movies(filter: MovieFilter, orderBy: MovieOrder = SCORE_DESC, first: Int = 20, after: String): MovieConnection!
        searchMovies(query: String!, genres: [String!], first: Int = 20, after: String): MovieConnection!
        genres: [Genre!]!
        providers: [Provider!]!
        importRun(id: ID!): ImportRun
        importRuns(provider: ProviderKey, first: Int = 20): [ImportRun!]!
        matchReport: [ProviderMatchStats!]!
      }
      enum ProviderKey { IMDB TMDB ROTTEN_TOMATOES MOVIELENS }
      type Genre { name: String! }
      type Movie {
        id: ID! title: String! originalTitle: String year: Int releaseDate: String runtimeMinutes: Int
        overview: String posterUrl: String score: AggregateScore ratings: [ProviderRating!]!
        titles: [MovieTitle!]! genres: [MovieGenre!]! externalIds: [ExternalId!]! updatedAt: String!
      }
      type AggregateScore { value: Float! confidence: Float! providerCount: Int! votes: Int! }
      type ProviderRating { provider: Provider! kind: String! rawValue: Float! rawScale: String! normalized: Float! votes: Int }
      type MovieTitle { provider: Provider! title: String! score: Float! }
      type MovieGenre { name: String! confidence: Float! }
      type ExternalId { provider: Provider! externalId: String! }
      type Provider { key: ProviderKey! name: String! kind: String! lastRun: ImportRun }
      type ImportRun { id: ID! provider: Provider! status: String! rowsRead: Int! rowsChanged: Int! rowsRejected: Int! startedAt: String finishedAt: String error: String }
      type ProviderMatchStats { provider: Provider! total: Int! matched: Int! unmatched: Int! unmatchedPercent: Float! }
      type MovieConnection { totalCount: Int! edges: [MovieEdge!]! pageInfo: PageInfo! }
      type MovieEdge { cursor: String! node: Movie! }
      type PageInfo { hasNextPage: Boolean! endCursor: String }
      input MovieFilter { genres: [String!] yearFrom: Int yearTo: Int minScore: Float minVotes: Int }
      enum MovieOrder { SCORE_DESC YEAR_DESC TITLE_ASC VOTES_DESC }
    `);
    expect(findBreakingChanges(contract, buildSchema(await printMovieCSchema()))).toEqual([]);
  });
});
