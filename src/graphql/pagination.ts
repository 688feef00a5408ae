import type { ComplexityEstimator } from 'graphql-query-complexity';
import { MAX_PAGE_SIZE } from '../services/pagination.js';

export { validateFirst, type MovieConnectionRecord } from '../services/pagination.js';

/** Query complexity of a paginated field: what one item costs, times the items a page may hold. */
export const pageComplexity: ComplexityEstimator = ({ args, childComplexity }) => {
  const first = typeof args.first === 'number' ? Math.min(Math.max(Math.trunc(args.first), 1), MAX_PAGE_SIZE) : 20;
  return 1 + childComplexity * first;
};
