import type { ComplexityEstimator, ComplexityEstimatorArgs } from 'graphql-query-complexity';
import { Kind, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import { MAX_PAGE_SIZE } from '../services/pagination.js';

export { validateFirst, type MovieConnectionRecord } from '../services/pagination.js';

/**
 * What a field that works the database costs in the complexity count (MAX_QUERY_COMPLEXITY, 5000 by
 * default), against 1 for a field read from a row already loaded. Measured on the bench catalogue
 * (100k movies): a page of a list or a search ranking ≈ 5-20 ms, a count over a filter ≈ 30-100 ms,
 * the facets ≈ 3 counts, the match report one GROUP BY over every provider record ≈ 150 ms+.
 */
export const FIELD_COSTS = {
  /** `movies`: one page read by an index. */
  moviesPage: 10,
  /** `searchMovies`: the ranking of up to 100 candidates. */
  searchPage: 50,
  /** `suggestMovies`. */
  suggest: 20,
  /** `MovieConnection.totalCount`: a count over every movie of the list. */
  totalCount: 100,
  /** `MovieConnection.facets`: counts per genre, decade and provider. */
  facets: 300,
  /** `matchReport`: one GROUP BY over every provider record (cached for a few seconds, see services/match-report.ts). */
  matchReport: 500,
} as const;

/** Estimator context: the operation's fragments, so connection-level fields inside them are found. */
export interface CostContext {
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
}

/**
 * Query complexity of a paginated field: its base cost, what one item costs times the items a page
 * may hold, and the connection-level fields (totalCount, facets) once — they count the whole list,
 * not each item, so they are not multiplied by the page size.
 */
export function pageComplexity(base: number): ComplexityEstimator {
  return ({ args, childComplexity, node, context }: ComplexityEstimatorArgs) => {
    const first = typeof args.first === 'number' ? Math.min(Math.max(Math.trunc(args.first), 1), MAX_PAGE_SIZE) : 20;
    const fragments = (context as Partial<CostContext> | undefined)?.fragments;
    const once = node.selectionSet ? connectionLevelCost(node.selectionSet, fragments, new Set()) : 0;
    return base + once + Math.max(childComplexity - once, 0) * first;
  };
}

const CONNECTION_FIELDS: Record<string, number> = { totalCount: FIELD_COSTS.totalCount, facets: FIELD_COSTS.facets };

function connectionLevelCost(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode> | undefined,
  seen: Set<string>,
): number {
  let cost = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) cost += CONNECTION_FIELDS[selection.name.value] ?? 0;
    else if (selection.kind === Kind.INLINE_FRAGMENT) cost += connectionLevelCost(selection.selectionSet, fragments, seen);
    else {
      const fragment = fragments?.get(selection.name.value);
      if (!fragment || seen.has(fragment.name.value)) continue;
      cost += connectionLevelCost(fragment.selectionSet, fragments, new Set([...seen, fragment.name.value]));
    }
  }
  return cost;
}
