import {
  getNamedType,
  isCompositeType,
  isObjectType,
  Kind,
  OperationTypeNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

/**
 * Cache hints of the schema, and what a whole response depends on, decided once per document
 * (not per field and request as Apollo's cache-control plugin does): the same rules as Apollo's
 * `@cacheControl` (a root field or a field returning an object type without a hint has max-age 0,
 * scalars inherit their parent's, `inheritMaxAge` types take their parent field's), over hints
 * kept here beside the schema.
 */

export type CacheScope = 'PUBLIC' | 'PRIVATE';

export interface CacheHint {
  maxAge?: number;
  scope?: CacheScope;
  inheritMaxAge?: boolean;
}

/** How long catalogue answers may be kept (capped by HTTP_CACHE_MAX_AGE_SECONDS for HTTP caches). */
export const CATALOGUE_MAX_AGE = 300;
const INHERIT: CacheHint = { inheritMaxAge: true };

/**
 * Root fields whose answers are the catalogue (the same for everyone, changed only by aggregation,
 * which invalidates them). Anything not listed — import runs, the match report, admin and partner
 * fields, Provider.lastRun — has max-age 0 and makes the whole answer uncacheable.
 */
export const FIELD_HINTS: Record<string, CacheHint> = {
  'Query.movie': { maxAge: CATALOGUE_MAX_AGE },
  'Query.movieByExternalId': { maxAge: CATALOGUE_MAX_AGE },
  'Query.movies': { maxAge: CATALOGUE_MAX_AGE },
  'Query.searchMovies': { maxAge: CATALOGUE_MAX_AGE },
  'Query.suggestMovies': { maxAge: CATALOGUE_MAX_AGE },
  'Query.genres': { maxAge: CATALOGUE_MAX_AGE },
  'Query.providers': { maxAge: CATALOGUE_MAX_AGE },
  // Whether a rating is stale moves with the clock, not with aggregation.
  'ProviderRating.stale': { maxAge: 60 },
};

/** Object types that are parts of a catalogue answer: they take the max-age of the field that returns them. */
export const TYPE_HINTS: Record<string, CacheHint> = Object.fromEntries(
  [
    'Movie', 'AggregateScore', 'ProviderRating', 'MovieTitle', 'MovieGenre', 'GenreCandidate', 'ExternalId', 'FieldSource',
    'Provider', 'Genre', 'MovieConnection', 'MovieEdge', 'PageInfo', 'MovieFacets', 'GenreFacet', 'DecadeFacet', 'ProviderFacet',
    'ScoreExplanation', 'ScoreContribution',
  ].map((name) => [name, INHERIT]),
);

export interface CachePolicy {
  maxAge: number;
  scope: CacheScope;
}

/** What the response cache needs to know of one operation. */
export interface ResponsePlan {
  /** null: the answer must not be kept (a mutation, or a field without a hint). */
  policy: CachePolicy | null;
  /**
   * The movie ids the answer depends on when every root field is movie(id): from the variables or
   * literals; null otherwise (the answer then depends on every movie change).
   */
  movieIds(variables: Record<string, unknown> | undefined): string[] | null;
}

const UNCACHEABLE: ResponsePlan = { policy: null, movieIds: () => null };

export function responsePlan(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): ResponsePlan {
  if (operation.operation !== OperationTypeNode.QUERY) return UNCACHEABLE;
  const queryType = schema.getQueryType();
  if (!queryType) return UNCACHEABLE;
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  const policy = staticPolicy(schema, queryType, operation.selectionSet, fragments);
  if (!policy) return UNCACHEABLE;
  return { policy, movieIds: movieIdsOf(operation.selectionSet, fragments) };
}

function staticPolicy(
  schema: GraphQLSchema,
  root: GraphQLCompositeType,
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
): CachePolicy | null {
  let maxAge: number | undefined;
  let scope: CacheScope = 'PUBLIC';
  const restrict = (hint: CacheHint) => {
    if (hint.maxAge !== undefined) maxAge = maxAge === undefined ? hint.maxAge : Math.min(maxAge, hint.maxAge);
    if (hint.scope === 'PRIVATE') scope = 'PRIVATE';
  };
  const visitSet = (parent: GraphQLCompositeType, set: SelectionSetNode, isRoot: boolean, seen: Set<string>) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (type && isCompositeType(type)) visitSet(type, selection.selectionSet, isRoot, seen);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || seen.has(fragment.name.value)) continue;
        const type = schema.getType(fragment.typeCondition.name.value);
        if (type && isCompositeType(type)) visitSet(type, fragment.selectionSet, isRoot, new Set([...seen, fragment.name.value]));
        continue;
      }
      const name = selection.name.value;
      if (name === '__typename') continue;
      if (name.startsWith('__')) {
        // Introspection: not catalogue data.
        restrict({ maxAge: 0 });
        continue;
      }
      if (!isObjectType(parent)) {
        // Interfaces and unions: MovieC's schema has none; stay on the safe side.
        restrict({ maxAge: 0 });
        continue;
      }
      const field: GraphQLField<unknown, unknown> | undefined = parent.getFields()[name];
      if (!field) continue;
      const target = getNamedType(field.type);
      const composite = isCompositeType(target);
      let hint: CacheHint = {};
      let inherit = false;
      if (composite) {
        hint = { ...(TYPE_HINTS[target.name] ?? {}) };
        inherit = !!hint.inheritMaxAge;
      }
      const fieldHint = FIELD_HINTS[`${parent.name}.${name}`] ?? {};
      if (fieldHint.inheritMaxAge && hint.maxAge === undefined) {
        inherit = true;
        if (fieldHint.scope) hint.scope = fieldHint.scope;
      } else {
        if (fieldHint.maxAge !== undefined) hint.maxAge = fieldHint.maxAge;
        if (fieldHint.scope !== undefined) hint.scope = fieldHint.scope;
      }
      if (hint.maxAge === undefined && ((composite && !inherit) || isRoot)) hint.maxAge = 0;
      restrict(hint);
      if (composite && selection.selectionSet) visitSet(target, selection.selectionSet, false, seen);
    }
  };
  visitSet(root, selectionSet, true, new Set());
  if (maxAge === undefined || maxAge <= 0) return null;
  return { maxAge, scope };
}

/** For operations of movie(id) root fields only: the ids, read from literals or variables. */
function movieIdsOf(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>): ResponsePlan['movieIds'] {
  const idArguments: ValueNode[] = [];
  const collect = (set: SelectionSetNode): boolean => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (!collect(selection.selectionSet)) return false;
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || !collect(fragment.selectionSet)) return false;
      } else if (selection.name.value === '__typename') {
        continue;
      } else if (selection.name.value === 'movie') {
        const id = selection.arguments?.find((a) => a.name.value === 'id');
        if (!id) return false;
        idArguments.push(id.value);
      } else {
        return false;
      }
    }
    return true;
  };
  if (!collect(selectionSet) || idArguments.length === 0) return () => null;
  return (variables) => {
    const ids: string[] = [];
    for (const value of idArguments) {
      const id = value.kind === Kind.VARIABLE ? variables?.[value.name.value] : value.kind === Kind.STRING ? value.value : undefined;
      // movie(id) lower-cases the id it looks up; anything else answers null without reading a movie.
      if (typeof id !== 'string') return null;
      ids.push(id.toLowerCase());
    }
    return ids;
  };
}
