import 'reflect-metadata';
import { GraphQLObjectType, GraphQLSchema, printSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
// Import order is registration order, which is the order of Query's fields in the SDL.
import { MovieQueries } from './resolvers/movie-queries.js';
import { CatalogueQueries } from './resolvers/catalogue-queries.js';
import { MovieConnectionFields, MovieFields, PROVIDER_FIELD_RESOLVERS, ProviderFields } from './resolvers/field-resolvers.js';

/** The MovieC GraphQL schema (queries only; mutations come with admin auth). */
export async function buildMovieCSchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: [MovieQueries, CatalogueQueries, MovieFields, ProviderFields, MovieConnectionFields, ...PROVIDER_FIELD_RESOLVERS],
    // Arguments are checked by the resolvers themselves (BAD_USER_INPUT with a clear message).
    validate: false,
  });
  return describeRootTypes(schema);
}

/** type-graphql cannot describe the root type; nothing else references it, so it is replaced. */
function describeRootTypes(schema: GraphQLSchema): GraphQLSchema {
  const config = schema.toConfig();
  if (!config.query) return schema;
  const query = new GraphQLObjectType({
    ...config.query.toConfig(),
    description: 'Read access to the curated MovieC catalogue, its providers and their import runs.',
  });
  return new GraphQLSchema({ ...config, query, types: config.types.map((t) => (t.name === query.name ? query : t)) });
}

/** The schema as SDL, exactly as `npm run schema:export` writes it to schema.graphql. */
export async function printMovieCSchema(): Promise<string> {
  return `${printSchema(await buildMovieCSchema())}\n`;
}
