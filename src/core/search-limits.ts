import { invalidParam } from './errors.js';

/**
 * Bounds on a search request's text, checked before any parsing or SQL: they keep one request's
 * work (parse, plan, bound parameters) small whatever a client sends. A 64 KiB filter still holds
 * an `IN` list of well over a thousand run ids.
 */
export const SEARCH_LIMITS = {
  filterLength: 65_536,
  orderByClauses: 100,
  orderByClauseLength: 1000,
  pageTokenLength: 4096,
  experimentIds: 1000,
} as const;

export interface SearchText {
  filter?: string | undefined;
  orderBy?: readonly unknown[] | undefined;
  pageToken?: string | undefined;
  experimentIds?: readonly unknown[] | undefined;
}

/** Throws INVALID_PARAMETER_VALUE naming the first bound a search request exceeds. */
export function checkSearchLimits(input: SearchText): void {
  const L = SEARCH_LIMITS;
  if (input.filter !== undefined && input.filter.length > L.filterLength)
    throw invalidParam(`filter is ${input.filter.length} characters long; the limit is ${L.filterLength}.`);
  const orderBy = input.orderBy ?? [];
  if (orderBy.length > L.orderByClauses)
    throw invalidParam(`order_by has ${orderBy.length} clauses; the limit is ${L.orderByClauses}.`);
  for (const clause of orderBy) {
    const text = typeof clause === 'string' ? clause : JSON.stringify(clause);
    if ((text?.length ?? 0) > L.orderByClauseLength)
      throw invalidParam(`An order_by clause is longer than ${L.orderByClauseLength} characters.`);
  }
  if (input.pageToken !== undefined && input.pageToken.length > L.pageTokenLength)
    throw invalidParam(`page_token is longer than ${L.pageTokenLength} characters.`);
  const ids = input.experimentIds ?? [];
  if (ids.length > L.experimentIds)
    throw invalidParam(`experiment_ids lists ${ids.length} experiments; the limit is ${L.experimentIds}.`);
}
