import type { ApolloServerPlugin, GraphQLRequestContextDidResolveOperation } from '@apollo/server';
import {
  BREAK,
  GraphQLError,
  Kind,
  visit,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { createRequire } from 'node:module';
import { LRUCache } from 'lru-cache';
import type { GraphQLContext } from '../graphql/context.js';
import type { CostContext } from '../graphql/pagination.js';

// The package's ESM build imports graphql/index.mjs, while everything else here (type-graphql,
// Apollo, our code) shares graphql's CommonJS build: schemas from one are foreign to the other
// ("Cannot use GraphQLSchema from another module or realm"). Its CommonJS build shares ours.
const { fieldExtensionsEstimator, getComplexity, simpleEstimator } = createRequire(import.meta.url)(
  'graphql-query-complexity',
) as typeof import('graphql-query-complexity');

export interface QueryLimits {
  /** Deepest field nesting an operation may have (introspection fields do not count). */
  maxDepth: number;
  /** Highest cost: fields that work the database cost what FIELD_COSTS says, list fields times the page size they ask for. */
  maxComplexity: number;
  /** Root fields an operation may ask for, aliases and fragments included. */
  maxRootFields: number;
  /** Aliased fields a document may have at any depth. */
  maxAliases: number;
  /**
   * Tokens a document may have, enforced by the parser (a GRAPHQL_PARSE_FAILED 400) before validation:
   * graphql's OverlappingFieldsCanBeMerged compares every pair of fields of a selection set, seconds of
   * CPU for 2,000 aliases, before any limit above could be checked.
   */
  maxTokens: number;
}

interface Measure {
  depth: number;
  rootFields: number;
  aliases: number;
  /** null: the variables do not fit the operation (execution reports that as BAD_USER_INPUT). */
  complexity: number | null;
}

/** Measures by query hash, operation and (when the operation has any) variables: a repeated query is not walked again. */
const MEASURES_KEPT = 2000;

/** Refuses operations deeper, wider or costlier than the limits before they run: QUERY_TOO_COMPLEX, HTTP 400. */
export function queryLimitsPlugin(limits: QueryLimits): ApolloServerPlugin<GraphQLContext> {
  const measures = new LRUCache<string, Measure>({ max: MEASURES_KEPT });
  return {
    requestDidStart: () =>
      Promise.resolve({
        didResolveOperation(requestContext) {
          refuseDeepVariables(requestContext.request.variables);
          checkLimits(measureOnce(measures, requestContext), limits);
          refuseNulCharacters(requestContext);
          return Promise.resolve();
        },
      }),
  };
}

function measureOnce(measures: LRUCache<string, Measure>, requestContext: GraphQLRequestContextDidResolveOperation<GraphQLContext>): Measure {
  const { queryHash, operation, request } = requestContext;
  // Variables change the cost only through page sizes (first: $n) and @include/@skip: not through
  // ids and texts (movie(id: $id), searchMovies(query: $q)), whose every value would be measured again.
  const variables = operation?.variableDefinitions?.length ? costVariables(operation, request.variables) : '';
  const key = `${queryHash}\u0000${request.operationName ?? ''}\u0000${variables}`;
  let measure = measures.get(key);
  if (!measure) {
    measure = measure_(requestContext);
    // Not kept when the variables did not fit: the next request of the document with other ids is measured.
    if (measure.complexity !== null) measures.set(key, measure);
  }
  return measure;
}

/** The operation's variables that can change its cost (all but ID and String ones), as a key. */
function costVariables(operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined): string {
  const kept: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    let type = definition.type;
    while (type.kind !== Kind.NAMED_TYPE) type = type.type;
    const name = definition.variable.name.value;
    if (type.name.value !== 'ID' && type.name.value !== 'String') kept[name] = variables?.[name];
  }
  return JSON.stringify(kept);
}

function measure_({ document, operation, schema, request }: GraphQLRequestContextDidResolveOperation<GraphQLContext>): Measure {
  const fragments = fragmentsOf(document);
  const depth = operationDepth(document, operation);
  const rootFields = operation ? countFields(operation.selectionSet, fragments, new Set()) : 0;
  let aliases = 0;
  visit(document, {
    Field(node) {
      if (node.alias) aliases += 1;
    },
  });
  let complexity: number | null;
  try {
    const context: CostContext = { fragments };
    complexity = getComplexity({
      schema,
      query: document,
      operationName: request.operationName ?? undefined,
      variables: request.variables ?? {},
      context,
      estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
    });
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    complexity = null;
  }
  return { depth, rootFields, aliases, complexity };
}

function checkLimits({ depth, rootFields, aliases, complexity }: Measure, limits: QueryLimits): void {
  const { maxDepth, maxComplexity, maxRootFields, maxAliases } = limits;
  if (rootFields > maxRootFields) {
    throw tooComplex(
      `Query asks for ${rootFields} root fields (aliases included); the maximum is ${maxRootFields}. Split it into several queries.`,
      { rootFields, maxRootFields },
    );
  }
  if (aliases > maxAliases) {
    throw tooComplex(`Query has ${aliases} aliases; the maximum is ${maxAliases}. Split it into several queries.`, { aliases, maxAliases });
  }
  if (depth > maxDepth) {
    throw tooComplex(`Query is nested ${depth} levels deep; the maximum is ${maxDepth}. Split it into several queries.`, {
      depth,
      maxDepth,
    });
  }
  if (complexity !== null && complexity > maxComplexity) {
    throw tooComplex(
      `Query complexity is ${complexity}; the maximum is ${maxComplexity}. Ask for smaller pages (first) or fewer fields.`,
      { complexity, maxComplexity },
    );
  }
}

/** Fields of a selection set, fragments expanded (each alias counts). */
function countFields(selectionSet: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, seen: Set<string>): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) count += 1;
    else if (selection.kind === Kind.INLINE_FRAGMENT) count += countFields(selection.selectionSet, fragments, seen);
    else {
      const fragment = fragments.get(selection.name.value);
      if (!fragment || seen.has(fragment.name.value)) continue;
      count += countFields(fragment.selectionSet, fragments, new Set([...seen, fragment.name.value]));
    }
  }
  return count;
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  return new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
}

/**
 * PostgreSQL text cannot hold NUL (U+0000): an argument with one would fail in the database as an
 * internal error. It is refused up front, as the client's mistake it is.
 */
function refuseNulCharacters({ document, request }: GraphQLRequestContextDidResolveOperation<GraphQLContext>): void {
  const found = hasNul(request.variables) || literalNul(document);
  if (found) {
    throw new GraphQLError('Text arguments must not contain NUL characters (U+0000)', {
      extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
    });
  }
}

// Apollo hands the same DocumentNode to every request of the same query text (its document
// store), so what depends on the document alone is computed once per document, not per request.
const nulIn = new WeakMap<DocumentNode, boolean>();


/** Whether a string literal of the document holds a NUL. */
function literalNul(document: DocumentNode): boolean {
  const known = nulIn.get(document);
  if (known !== undefined) return known;
  let found = false;
  {
    visit(document, {
      StringValue(node) {
        if (node.value.includes('\u0000')) {
          found = true;
          return BREAK;
        }
        return undefined;
      },
    });
  }
  nulIn.set(document, found);
  return found;
}

/** Deepest nesting of arrays and objects a request's variables may have (no input type of the schema is near it). */
export const MAX_VARIABLE_DEPTH = 32;

/**
 * Refuses variables nested deeper than MAX_VARIABLE_DEPTH: a 100 kb body can nest 50,000 levels,
 * which recursive walkers (graphql's coercion, JSON.stringify of cache keys) would overflow the stack on.
 * Iterative, so the check itself cannot overflow.
 */
function refuseDeepVariables(variables: unknown): void {
  const stack: [unknown, number][] = [[variables, 0]];
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (!value || typeof value !== 'object') continue;
    if (depth >= MAX_VARIABLE_DEPTH) {
      throw new GraphQLError(`Variables are nested more than ${MAX_VARIABLE_DEPTH} levels deep`, {
        extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
      });
    }
    for (const child of Array.isArray(value) ? value : Object.values(value)) stack.push([child, depth + 1]);
  }
}

/** Whether any string inside a value has a NUL; iterative (refuseDeepVariables bounded the depth first anyway). */
export function hasNul(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length) {
    const value = stack.pop();
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return true;
    } else if (value && typeof value === 'object') {
      for (const child of Array.isArray(value) ? value : Object.values(value)) stack.push(child);
    }
  }
  return false;
}

function tooComplex(message: string, details: Record<string, number>): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'QUERY_TOO_COMPLEX', ...details, http: { status: 400 } } });
}

/** Depth of the operation's deepest field, following fragments. */
export function operationDepth(document: DocumentNode, operation: OperationDefinitionNode | undefined): number {
  if (!operation) return 0;
  const fragments = fragmentsOf(document);
  const depthOf = (selectionSet: SelectionSetNode, seen: Set<string>): number => {
    let deepest = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue;
        deepest = Math.max(deepest, 1 + (selection.selectionSet ? depthOf(selection.selectionSet, seen) : 0));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        deepest = Math.max(deepest, depthOf(selection.selectionSet, seen));
      } else {
        const fragment = fragments.get(selection.name.value);
        // Validation has already refused cycles and unknown fragments; this only guards.
        if (!fragment || seen.has(fragment.name.value)) continue;
        deepest = Math.max(deepest, depthOf(fragment.selectionSet, new Set([...seen, fragment.name.value])));
      }
    }
    return deepest;
  };
  return depthOf(operation.selectionSet, new Set());
}
