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
import type { GraphQLContext } from '../graphql/context.js';

// The package's ESM build imports graphql/index.mjs, while everything else here (type-graphql,
// Apollo, our code) shares graphql's CommonJS build: schemas from one are foreign to the other
// ("Cannot use GraphQLSchema from another module or realm"). Its CommonJS build shares ours.
const { fieldExtensionsEstimator, getComplexity, simpleEstimator } = createRequire(import.meta.url)(
  'graphql-query-complexity',
) as typeof import('graphql-query-complexity');

export interface QueryLimits {
  /** Deepest field nesting an operation may have (introspection fields do not count). */
  maxDepth: number;
  /** Highest cost: one per field, list fields times the page size they ask for (pageComplexity). */
  maxComplexity: number;
}

/** Refuses operations deeper or costlier than the limits before they run: QUERY_TOO_COMPLEX, HTTP 400. */
export function queryLimitsPlugin(limits: QueryLimits): ApolloServerPlugin<GraphQLContext> {
  return {
    requestDidStart: () =>
      Promise.resolve({
        didResolveOperation(requestContext) {
          refuseDeepVariables(requestContext.request.variables);
          checkLimits(requestContext, limits);
          refuseNulCharacters(requestContext);
          return Promise.resolve();
        },
      }),
  };
}

function checkLimits(
  { document, operation, schema, request }: GraphQLRequestContextDidResolveOperation<GraphQLContext>,
  { maxDepth, maxComplexity }: QueryLimits,
): void {
  const depth = operationDepth(document, operation);
  if (depth > maxDepth) {
    throw tooComplex(`Query is nested ${depth} levels deep; the maximum is ${maxDepth}. Split it into several queries.`, {
      depth,
      maxDepth,
    });
  }
  let complexity: number;
  try {
    complexity = getComplexity({
      schema,
      query: document,
      operationName: request.operationName ?? undefined,
      variables: request.variables ?? {},
      estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
    });
  } catch (error) {
    // Variables that do not fit the operation: execution reports them as BAD_USER_INPUT.
    if (error instanceof GraphQLError) return;
    throw error;
  }
  if (complexity > maxComplexity) {
    throw tooComplex(
      `Query complexity is ${complexity}; the maximum is ${maxComplexity}. Ask for smaller pages (first) or fewer fields.`,
      { complexity, maxComplexity },
    );
  }
}

/**
 * PostgreSQL text cannot hold NUL (U+0000): an argument with one would fail in the database as an
 * internal error. It is refused up front, as the client's mistake it is.
 */
function refuseNulCharacters({ document, request }: GraphQLRequestContextDidResolveOperation<GraphQLContext>): void {
  let found = hasNul(request.variables);
  if (!found) {
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
  if (found) {
    throw new GraphQLError('Text arguments must not contain NUL characters (U+0000)', {
      extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
    });
  }
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
function hasNul(root: unknown): boolean {
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
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
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
