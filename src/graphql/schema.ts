import 'reflect-metadata';
import { GraphQLObjectType, GraphQLSchema, printSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { adminAuthChecker } from './auth.js';
import { syncProviderKeyEnum } from './provider-key.js';
// Import order is registration order, which is the order of Query's fields in the SDL.
import { MovieQueries } from './resolvers/movie-queries.js';
import { CatalogueQueries } from './resolvers/catalogue-queries.js';
import { AdminMutations } from './resolvers/admin-mutations.js';
import { MatchCorrectionMutations } from './resolvers/match-corrections.js';
import { MatchFields, RejectedMatchFields } from './resolvers/match-fields.js';
import { PartnerAdmin } from './resolvers/partner-admin.js';
import { MovieSubscriptions } from './resolvers/movie-subscriptions.js';
import {
  FieldSourceFields,
  ImportRunFields,
  MovieConnectionFields,
  MovieFields,
  PROVIDER_FIELD_RESOLVERS,
  ProviderFields,
  ProviderRatingFields,
  ScoreFields,
} from './resolvers/field-resolvers.js';

/** The MovieC GraphQL schema: catalogue queries, and admin mutations behind the admin token. */
export async function buildMovieCSchema(): Promise<GraphQLSchema> {
  // The ProviderKey enum holds every provider registered by now.
  syncProviderKeyEnum();
  const schema = await buildSchema({
    resolvers: [
      MovieQueries, CatalogueQueries, AdminMutations, MatchCorrectionMutations, MatchFields, RejectedMatchFields, PartnerAdmin, MovieSubscriptions,
      MovieFields, FieldSourceFields, ImportRunFields, ProviderFields, MovieConnectionFields, ScoreFields, ProviderRatingFields, ...PROVIDER_FIELD_RESOLVERS,
    ],
    authChecker: adminAuthChecker,
    // movieChanged brings its own event source (services/movie-changes.ts); type-graphql still
    // wants a PubSub for topic-based subscriptions, of which there are none.
    pubSub: NO_TOPICS,
    // Arguments are checked by the resolvers themselves (BAD_USER_INPUT with a clear message).
    validate: false,
  });
  return describeRootTypes(schema);
}

const NO_TOPICS = {
  publish(): void {
    throw new Error('MovieC has no topic-based subscriptions');
  },
  subscribe(): AsyncIterable<unknown> {
    throw new Error('MovieC has no topic-based subscriptions');
  },
};

const ROOT_DESCRIPTIONS = {
  query: 'Read access to the curated MovieC catalogue, its providers and their import runs.',
  mutation: 'Admin operations; each needs the header `Authorization: Bearer <ADMIN_TOKEN>`.',
  subscription: 'Live changes over WebSocket (graphql-transport-ws protocol) at /graphql.',
} as const;

/** type-graphql cannot describe root types; nothing else references them, so they are replaced. */
function describeRootTypes(schema: GraphQLSchema): GraphQLSchema {
  const config = schema.toConfig();
  const described = { ...config };
  for (const root of ['query', 'mutation', 'subscription'] as const) {
    const type = config[root];
    if (type) described[root] = new GraphQLObjectType({ ...type.toConfig(), description: ROOT_DESCRIPTIONS[root] });
  }
  const replaced = new Map([described.query, described.mutation, described.subscription].filter((t) => t != null).map((t) => [t.name, t]));
  return new GraphQLSchema({ ...described, types: config.types.map((t) => replaced.get(t.name) ?? t) });
}

/** The schema as SDL, exactly as `npm run schema:export` writes it to schema.graphql. */
export async function printMovieCSchema(): Promise<string> {
  return `${printSchema(await buildMovieCSchema())}\n`;
}
