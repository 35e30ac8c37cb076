/**
 * Compiles a parsed registry search (search-parse.ts) to SQL conditions and orderings over
 * `registered_models AS rm` and `model_versions AS mv`, for SQLite and PostgreSQL alike. Values
 * and keys travel as bound parameters; column names come only from the tables below.
 *
 * As MLflow: a tag clause matches only rows that have the tag; LIKE is case-sensitive and ILIKE
 * is not (`%` and `_` are wildcards, `\` escapes them); prompts (tagged `mlflow.prompt.is_prompt`
 * = 'true') are left out unless the filter asks for them.
 */
import { type RawBuilder, type SqlBool, sql } from 'kysely';
import { CairnError } from '../core/errors.js';
import type { Dialect } from '../store/db.js';
import type { Comparison, FilterTree, OrderTerm } from '../tracking/search-types.js';
import { stringMatch } from '../tracking/sql-text-match.js';
import { PROMPT_TAG } from './types.js';

type Cond = RawBuilder<SqlBool>;
type Expr = RawBuilder<unknown>;
export type Target = 'models' | 'versions';

const COLUMNS: Record<Target, Record<string, string>> = {
  models: {
    name: 'rm.name',
    creation_timestamp: 'rm.creation_time',
    last_updated_timestamp: 'rm.last_updated_time',
  },
  versions: {
    name: 'rm.name',
    source_path: 'mv.source',
    run_id: 'mv.run_id',
    version_number: 'mv.version',
    creation_timestamp: 'mv.creation_time',
    last_updated_timestamp: 'mv.last_updated_time',
  },
};
const TEXT_COLUMNS = new Set(['rm.name', 'mv.source', 'mv.run_id']);
const SQL_OPS: Record<string, string> = { '=': '=', '!=': '<>', '>': '>', '>=': '>=', '<': '<', '<=': '<=' };

const invalid = (message: string) => new CairnError('INVALID_PARAMETER_VALUE', message);

function column(target: Target, key: string): string {
  const col = Object.hasOwn(COLUMNS[target], key) ? COLUMNS[target][key] : undefined;
  if (!col) throw invalid(`Invalid attribute name: ${key}`);
  return col;
}

function numberMatch(col: Expr, c: Comparison): Cond {
  if (typeof c.value !== 'number' || !Number.isSafeInteger(c.value))
    throw invalid(`Expected an integer in search, got ${String(c.value)}`);
  const op = Object.hasOwn(SQL_OPS, c.op) ? SQL_OPS[c.op] : undefined;
  if (!op) throw invalid(`Comparator ${c.op} cannot compare numbers`);
  return sql<SqlBool>`${col} ${sql.raw(op)} ${c.value}`;
}

function tagRows(target: Target, key: string, match: Cond | undefined): Cond {
  const extra = match ? sql` AND ${match}` : sql``;
  return target === 'models'
    ? sql<SqlBool>`EXISTS (SELECT 1 FROM registered_model_tags AS t WHERE t.model_pk = rm.model_pk AND t.key = ${key}${extra})`
    : sql<SqlBool>`EXISTS (SELECT 1 FROM model_version_tags AS t WHERE t.model_pk = mv.model_pk AND t.version = mv.version AND t.key = ${key}${extra})`;
}

function condition(target: Target, c: Comparison, dialect: Dialect): Cond {
  if (c.entity === 'tag') return tagRows(target, c.key, stringMatch(sql.ref('t.value'), c, dialect));
  if (c.entity !== 'attribute') throw invalid(`Registry searches cannot filter on ${c.entity}s`);
  const col = column(target, c.key);
  return TEXT_COLUMNS.has(col) ? stringMatch(sql.ref(col), c, dialect) : numberMatch(sql.ref(col), c);
}

/** MLflow's rule: a filter asks for prompts when it says `tags.mlflow.prompt.is_prompt` = 'true' (or != 'false'). */
function asksForPrompts(tree: FilterTree): boolean {
  return tree.clauses.some(
    (c) =>
      c.entity === 'tag' &&
      c.key === PROMPT_TAG &&
      typeof c.value === 'string' &&
      ((c.op === '=' && c.value.toLowerCase() === 'true') ||
        (c.op === '!=' && c.value.toLowerCase() === 'false')),
  );
}

/** The conditions (ANDed) selecting what `tree` matches among models or versions. */
export function registryConditions(target: Target, tree: FilterTree, dialect: Dialect): Cond[] {
  if (asksForPrompts(tree)) return tree.clauses.map((c) => condition(target, c, dialect));
  const conds = tree.clauses
    .filter((c) => !(c.entity === 'tag' && c.key === PROMPT_TAG))
    .map((c) => condition(target, c, dialect));
  conds.push(sql<SqlBool>`NOT ${tagRows(target, PROMPT_TAG, sql<SqlBool>`LOWER(t.value) = 'true'`)}`);
  return conds;
}

const DEFAULT_VERSION_ORDER: OrderTerm[] = [
  { entity: 'attribute', key: 'last_updated_timestamp', ascending: false },
  { entity: 'attribute', key: 'name', ascending: true },
  { entity: 'attribute', key: 'version_number', ascending: false },
];

/**
 * ORDER BY terms: the caller's, then MLflow's tiebreaks (models: name ASC; versions: name ASC,
 * version DESC). Versions default to last_updated_timestamp DESC. Names sort by code point.
 */
export function registryOrder(target: Target, terms: readonly OrderTerm[], dialect: Dialect): Expr[] {
  const effective = target === 'versions' && terms.length === 0 ? DEFAULT_VERSION_ORDER : terms;
  const tiebreak: OrderTerm[] = [{ entity: 'attribute', key: 'name', ascending: true }];
  if (target === 'versions') tiebreak.push({ entity: 'attribute', key: 'version_number', ascending: false });
  const all = [...effective, ...tiebreak.filter((t) => !effective.some((e) => e.key === t.key))];
  return all.map((t) => {
    const col = column(target, t.key);
    const ref =
      TEXT_COLUMNS.has(col) && dialect === 'postgres' ? sql`${sql.ref(col)} COLLATE "C"` : sql.ref(col);
    return sql`${ref} ${sql.raw(t.ascending ? 'ASC' : 'DESC')}`;
  });
}
