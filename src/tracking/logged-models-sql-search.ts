/**
 * Compiles a parsed logged-model search (logged-models-search.ts) onto a Kysely query over
 * `logged_models`, for SQLite and PostgreSQL alike. Values and keys travel as bound parameters;
 * column names come only from the fixed table below.
 *
 * Semantics follow MLflow's (and sql-search.ts for runs): a param or tag clause matches only models
 * that have the key (except IS NULL); LIKE is case-sensitive and ILIKE is not, on both engines;
 * `status` compares MLflow's status names (PENDING, READY, FAILED; LOGGED_MODEL_* is accepted for
 * = / != / IN); the default order is `creation_timestamp DESC, model_id ASC`, and those two break
 * ties after any order_by terms. Models lacking model_type or source_run_id sort last.
 */
import { type RawBuilder, type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import { CairnError } from '../core/errors.js';
import type { Dialect } from '../store/db.js';
import type { Database } from '../store/schema.js';
import type { Comparison, FilterTree, OrderTerm } from './search-types.js';
import { stringMatch } from './sql-text-match.js';

export type LoggedModelQuery<O> = SelectQueryBuilder<Database, 'logged_models', O>;
type Expr = RawBuilder<unknown>;
type Cond = RawBuilder<SqlBool>;

const COLUMNS: Record<string, string> = {
  name: 'name',
  model_id: 'model_id',
  model_type: 'model_type',
  status: 'status',
  source_run_id: 'source_run_id',
  creation_timestamp: 'creation_timestamp_ms',
  last_updated_timestamp: 'last_updated_timestamp_ms',
};
const INTEGER_COLUMNS = new Set(['creation_timestamp_ms', 'last_updated_timestamp_ms']);
const NULLABLE_COLUMNS = new Set(['model_type', 'source_run_id']);
const COMPARE: Record<string, string> = { '=': '=', '!=': '<>', '>': '>', '>=': '>=', '<': '<', '<=': '<=' };

const invalid = (message: string): CairnError => new CairnError('INVALID_PARAMETER_VALUE', message);

function column(key: string): string {
  if (!Object.hasOwn(COLUMNS, key)) throw invalid(`Invalid attribute key '${key}' for logged models`);
  return COLUMNS[key]!;
}

function compare(op: string): Expr {
  if (!Object.hasOwn(COMPARE, op)) throw invalid(`Comparator ${op} cannot compare numbers`);
  return sql.raw(COMPARE[op]!);
}

/** Stored status names: the wire's LOGGED_MODEL_* names map onto them. */
export function storedStatus(value: string): string {
  if (value === 'LOGGED_MODEL_UPLOAD_FAILED' || value === 'UPLOAD_FAILED') return 'FAILED';
  return value.startsWith('LOGGED_MODEL_') ? value.slice('LOGGED_MODEL_'.length) : value;
}

/** An integer column against any finite number, sending only safe integers. */
function integerMatch(col: Expr, c: Comparison): Cond {
  const v = c.value;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw invalid(`Expected a number in search, got ${String(v)}`);
  if (Math.abs(v) > Number.MAX_SAFE_INTEGER) {
    const holds = v > 0 ? ['<', '<=', '!='] : ['>', '>=', '!='];
    return holds.includes(c.op) ? sql`1 = 1` : sql`1 = 0`;
  }
  if (Number.isInteger(v)) return sql`${col} ${compare(c.op)} ${v}`;
  if (c.op === '=') return sql`1 = 0`;
  if (c.op === '!=') return sql`1 = 1`;
  return c.op === '>' || c.op === '>=' ? sql`${col} >= ${Math.ceil(v)}` : sql`${col} <= ${Math.floor(v)}`;
}

function keyedMatch(
  table: 'logged_model_params' | 'logged_model_tags',
  c: Comparison,
  dialect: Dialect,
): Cond {
  const rows = (extra: Expr): Cond =>
    sql`EXISTS (SELECT 1 FROM ${sql.raw(table)} AS kv WHERE kv.model_id = logged_models.model_id AND kv.key = ${c.key}${extra})`;
  if (c.op === 'IS NULL') return sql`NOT ${rows(sql``)}`;
  if (c.op === 'IS NOT NULL') return rows(sql``);
  return rows(sql` AND ${stringMatch(sql.ref('kv.value'), c, dialect)}`);
}

function condition(c: Comparison, dialect: Dialect): Cond {
  switch (c.entity) {
    case 'param':
      return keyedMatch('logged_model_params', c, dialect);
    case 'tag':
      return keyedMatch('logged_model_tags', c, dialect);
    case 'attribute': {
      const name = column(c.key);
      const col = sql.ref(`logged_models.${name}`);
      if (INTEGER_COLUMNS.has(name)) return integerMatch(col, c);
      return stringMatch(col, c, dialect, name === 'status' ? storedStatus : undefined);
    }
    default:
      throw invalid(`Logged models cannot be searched by ${c.entity}s`);
  }
}

/** Restricts a query over `logged_models` to the models matching every clause of `tree`. */
export function applyLoggedModelFilter<O>(
  qb: LoggedModelQuery<O>,
  tree: FilterTree,
  dialect: Dialect,
): LoggedModelQuery<O> {
  return tree.clauses.reduce((q, c) => q.where(condition(c, dialect)), qb);
}

/** Orders by `terms`, then `creation_timestamp DESC` and `model_id ASC` unless already ordered on. */
export function applyLoggedModelOrder<O>(
  qb: LoggedModelQuery<O>,
  terms: readonly OrderTerm[],
  dialect: Dialect,
): LoggedModelQuery<O> {
  let q = qb;
  const seen = new Set<string>();
  const by = (name: string, ascending: boolean) => {
    const col = sql.ref(`logged_models.${name}`);
    if (NULLABLE_COLUMNS.has(name)) q = q.orderBy(sql`CASE WHEN ${col} IS NULL THEN 1 ELSE 0 END`);
    const value = INTEGER_COLUMNS.has(name) || dialect !== 'postgres' ? col : sql`${col} COLLATE "C"`;
    q = q.orderBy(sql`${value} ${sql.raw(ascending ? 'ASC' : 'DESC')}`);
    seen.add(name);
  };
  for (const t of terms) {
    if (t.entity !== 'attribute') throw invalid(`Invalid order by field name: ${t.entity}s`);
    by(column(t.key), t.ascending);
  }
  if (!seen.has('creation_timestamp_ms')) by('creation_timestamp_ms', false);
  if (!seen.has('model_id')) by('model_id', true);
  return q;
}
