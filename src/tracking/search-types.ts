/**
 * The typed tree a search filter and order_by parse into. The parser (search-parse.ts) is pure;
 * SQL adapters compile this tree to parameterised SQL; the HTTP adapter sends the original text.
 */
export type SearchEntity = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';

export type Comparator =
  | '='
  | '!='
  | '>'
  | '>='
  | '<'
  | '<='
  | 'LIKE'
  | 'ILIKE'
  | 'IN'
  | 'NOT IN'
  | 'IS NULL'
  | 'IS NOT NULL';

export interface Comparison {
  entity: SearchEntity;
  /** The key after the entity prefix, unquoted (`metrics."my acc"` → `my acc`); attributes are canonical. */
  key: string;
  op: Comparator;
  /** A number for numeric comparisons, a string, a list for IN / NOT IN, null for IS [NOT] NULL. */
  value: number | string | string[] | null;
}

/** A conjunction of comparisons (MLflow's grammar has AND only). Empty matches everything. */
export interface FilterTree {
  clauses: Comparison[];
}

export interface OrderTerm {
  entity: SearchEntity;
  key: string;
  ascending: boolean;
}

export interface ParsedSearch {
  filter: FilterTree;
  /** The filter as the caller wrote it, for adapters that forward it (HTTP). */
  filterText: string;
  orderBy: OrderTerm[];
  orderByText: string[];
}
