/**
 * Compiles a parsed search (search-types.ts) onto a Kysely query over `runs` or `experiments`, for
 * SQLite and PostgreSQL alike. Every value and key travels as a bound parameter; table, column and
 * alias names come only from the fixed tables below, never from the caller's text.
 *
 * Semantics follow MLflow: a clause on a metric, param or tag matches only runs that have that key
 * (except `IS NULL`); LIKE is case-sensitive and ILIKE is not, on both engines; `%` and `_` are the
 * wildcards and a backslash escapes them; order_by puts runs that lack the field (and NaN metrics,
 * after real values) last in both directions, then `start_time DESC, run_uuid ASC` as tiebreak.
 */
import { type RawBuilder, type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import { CairnError } from '../core/errors.js';
import type { Dialect } from '../store/db.js';
import type { Database } from '../store/schema.js';
import type { Comparator, Comparison, FilterTree, OrderTerm } from './search-types.js';
import { stringMatch } from './sql-text-match.js';

export type RunQuery<O> = SelectQueryBuilder<Database, 'runs', O>;
export type ExperimentQuery<O> = SelectQueryBuilder<Database, 'experiments', O>;

type Expr = RawBuilder<unknown>;
type Cond = RawBuilder<SqlBool>;
/** The builder seen without its table types, so we can join by generated alias. Our joins add no columns. */
type Loose = SelectQueryBuilder<Record<string, Record<string, unknown>>, string, unknown>;

const RUN_COLUMNS: Record<string, string> = {
  run_id: 'run_uuid',
  run_name: 'name',
  status: 'status',
  user_id: 'user_id',
  artifact_uri: 'artifact_uri',
  lifecycle_stage: 'lifecycle_stage',
  start_time: 'start_time',
  end_time: 'end_time',
};
const EXPERIMENT_COLUMNS: Record<string, string> = {
  name: 'name',
  experiment_id: 'experiment_id',
  creation_time: 'creation_time',
  last_update_time: 'last_update_time',
};
const INTEGER_COLUMNS = new Set([
  'start_time',
  'end_time',
  'experiment_id',
  'creation_time',
  'last_update_time',
]);
const NULLABLE_COLUMNS = new Set(['end_time']);
const DATASET_COLUMNS: Record<string, string> = { name: 'name', digest: 'digest' };
const DATASET_CONTEXT_TAG = 'mlflow.data.context';
const SQL_OPS: Partial<Record<Comparator, string>> = {
  '=': '=',
  '!=': '<>',
  '>': '>',
  '>=': '>=',
  '<': '<',
  '<=': '<=',
};

const invalid = (message: string): CairnError => new CairnError('INVALID_PARAMETER_VALUE', message);

function lookup(table: Record<string, string>, key: string, what: string): string {
  if (!Object.hasOwn(table, key)) throw invalid(`Unknown ${what} '${key}' in search`);
  return table[key]!;
}

function opSql(op: Comparator): Expr {
  return sql.raw(lookup(SQL_OPS as Record<string, string>, op, 'comparator'));
}

function asNumber(v: Comparison['value']): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw invalid(`Expected a number in search, got ${String(v)}`);
  return v;
}

/** Metric values compare as doubles: ±Infinity are values too (the store never compares NaN). */
function asMetricNumber(v: Comparison['value']): number {
  if (typeof v !== 'number' || Number.isNaN(v))
    throw invalid(`Expected a number in search, got ${String(v)}`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Predicates

/** An exact comparison of an integer column with any finite number, sending only safe integers. */
function integerMatch(col: Expr, c: Comparison): Cond {
  const v = asNumber(c.value);
  const notNull = sql<SqlBool>`${col} IS NOT NULL`;
  const none = sql<SqlBool>`1 = 0`;
  if (Math.abs(v) > Number.MAX_SAFE_INTEGER) {
    const below = v > 0 ? ['<', '<=', '!='] : ['>', '>=', '!='];
    return below.includes(c.op) ? notNull : none;
  }
  if (Number.isInteger(v)) return sql`${col} ${opSql(c.op)} ${v}`;
  if (c.op === '=') return none;
  if (c.op === '!=') return notNull;
  return c.op === '>' || c.op === '>=' ? sql`${col} >= ${Math.ceil(v)}` : sql`${col} <= ${Math.floor(v)}`;
}

/** A metric clause against the latest_metrics row aliased `alias`. NaN only satisfies `!=`. */
function metricMatch(alias: string, c: Comparison): Cond {
  const v = asMetricNumber(c.value);
  const value = sql.ref(`${alias}.value`);
  const nan = sql.ref(`${alias}.is_nan`);
  if (c.op === '!=') return sql`(${nan} = 1 OR ${value} <> ${v})`;
  return sql`${nan} = 0 AND ${value} ${opSql(c.op)} ${v}`;
}

function metricKeyId(key: string): Expr {
  return sql`(SELECT mk.key_id FROM metric_keys AS mk WHERE mk.key = ${key})`;
}

/** A clause on a key/value table (params, tags, experiment_tags) owned by the outer row. */
function keyedMatch(table: 'params' | 'tags' | 'experiment_tags', c: Comparison, dialect: Dialect): Cond {
  const owner =
    table === 'experiment_tags'
      ? sql`kv.experiment_id = experiments.experiment_id`
      : sql`kv.run_pk = runs.run_pk`;
  const rows = (extra: Expr): Cond =>
    sql`EXISTS (SELECT 1 FROM ${sql.raw(table)} AS kv WHERE ${owner} AND kv.key = ${c.key}${extra})`;
  if (c.op === 'IS NULL') return sql`NOT ${rows(sql``)}`;
  if (c.op === 'IS NOT NULL') return rows(sql``);
  return rows(sql` AND ${stringMatch(sql.ref('kv.value'), c, dialect)}`);
}

function datasetMatch(c: Comparison, dialect: Dialect): Cond {
  if (c.key !== 'context') {
    const col = sql.ref(`d.${lookup(DATASET_COLUMNS, c.key, 'dataset field')}`);
    return sql`EXISTS (SELECT 1 FROM run_inputs AS ri JOIN datasets AS d ON d.dataset_pk = ri.dataset_pk
      WHERE ri.run_pk = runs.run_pk AND ${stringMatch(col, c, dialect)})`;
  }
  // run_inputs.tags is a JSON array of {key, value}; the context is the value of mlflow.data.context.
  if (dialect === 'postgres') {
    return sql`EXISTS (SELECT 1 FROM run_inputs AS ri, jsonb_array_elements(CASE WHEN jsonb_typeof(ri.tags::jsonb) = 'array'
      THEN ri.tags::jsonb ELSE '[]'::jsonb END) AS je(elem)
      WHERE ri.run_pk = runs.run_pk AND (je.elem ->> 'key') = ${DATASET_CONTEXT_TAG}
      AND ${stringMatch(sql`(je.elem ->> 'value')`, c, dialect)})`;
  }
  return sql`EXISTS (SELECT 1 FROM run_inputs AS ri, json_each(CASE WHEN json_valid(ri.tags)
    THEN CASE WHEN json_type(ri.tags) = 'array' THEN ri.tags END END) AS je
    WHERE ri.run_pk = runs.run_pk AND je.type = 'object' AND json_extract(je.value, '$.key') = ${DATASET_CONTEXT_TAG}
    AND ${stringMatch(sql`json_extract(je.value, '$.value')`, c, dialect)})`;
}

function attributeMatch(table: 'runs' | 'experiments', key: string, c: Comparison, dialect: Dialect): Cond {
  const name = lookup(table === 'runs' ? RUN_COLUMNS : EXPERIMENT_COLUMNS, key, 'attribute');
  const col = sql.ref(`${table}.${name}`);
  return INTEGER_COLUMNS.has(name) ? integerMatch(col, c) : stringMatch(col, c, dialect);
}

function runCondition(c: Comparison, dialect: Dialect): Cond {
  switch (c.entity) {
    case 'metric':
      return sql`EXISTS (SELECT 1 FROM latest_metrics AS lm WHERE lm.run_pk = runs.run_pk
        AND lm.key_id = ${metricKeyId(c.key)} AND ${metricMatch('lm', c)})`;
    case 'param':
      return keyedMatch('params', c, dialect);
    case 'tag':
      return keyedMatch('tags', c, dialect);
    case 'attribute':
      return attributeMatch('runs', c.key, c, dialect);
    case 'dataset':
      return datasetMatch(c, dialect);
  }
}

// ---------------------------------------------------------------------------------------------
// Public API

/** Restricts a query over `runs` to the runs matching every clause of `tree`. */
export function applyRunFilter<O>(qb: RunQuery<O>, tree: FilterTree, dialect: Dialect): RunQuery<O> {
  return tree.clauses.reduce((q, c) => q.where(runCondition(c, dialect)), qb);
}

/** Restricts a query over `experiments` to the experiments matching every clause of `tree`. */
export function applyExperimentFilter<O>(
  qb: ExperimentQuery<O>,
  tree: FilterTree,
  dialect: Dialect,
): ExperimentQuery<O> {
  return tree.clauses.reduce((q, c) => {
    if (c.entity === 'tag') return q.where(keyedMatch('experiment_tags', c, dialect));
    if (c.entity === 'attribute') return q.where(attributeMatch('experiments', c.key, c, dialect));
    throw invalid(`Experiments cannot be searched by ${c.entity}s`);
  }, qb);
}

/** Text ordered by code point on both engines (PostgreSQL's default collation is locale-aware). */
function byCodePoint(col: Expr, dialect: Dialect): Expr {
  return dialect === 'postgres' ? sql`${col} COLLATE "C"` : col;
}

const direction = (ascending: boolean): Expr => sql.raw(ascending ? 'ASC' : 'DESC');

export interface RunOrderOptions {
  /** The filter applied with applyRunFilter: metrics it requires are inner-joined with its conditions. */
  filter?: FilterTree;
  /**
   * The experiments searched (as the caller's own condition on runs). Metric joins are bounded by
   * them too, so the `latest_metrics (experiment_id, key_id, is_nan, value, run_pk)` index serves.
   */
  experimentIds?: readonly number[];
  /**
   * SQLite only, when the first term is a metric the filter requires: walk that index in order and
   * stop at LIMIT (default true), rather than read every run of the searched experiments and sort.
   * With `experimentIds` the walk covers only the searched experiments' values.
   */
  walkMetricIndex?: boolean;
}

/**
 * Orders a query over `runs` by `terms`, then `start_time DESC` (unless ordered on already) and
 * `run_uuid ASC`, so pages are stable. Runs lacking a metric, param, tag or end_time sort last in
 * both directions, NaN metrics just before them. The query must select qualified columns
 * (`runs.*`, as RUN_COLUMNS does): the joins added here use generated aliases.
 */
export function applyRunOrder<O>(
  qb: RunQuery<O>,
  terms: readonly OrderTerm[],
  dialect: Dialect,
  options: RunOrderOptions = {},
): RunQuery<O> {
  let q = qb as unknown as Loose;
  let byStart = false;
  let byId = false;
  terms.forEach((t, i) => {
    const dir = direction(t.ascending);
    if (t.entity === 'metric') {
      const alias = `om${i}`;
      const ref = (col: string): Expr => sql.ref(`${alias}.${col}`);
      const required = options.filter?.clauses.filter((c) => c.entity === 'metric' && c.key === t.key) ?? [];
      // A unary + keeps SQLite from looking latest_metrics up by run, so it walks the value index.
      const finite = required.some((c) => c.op !== '!=');
      const walk = i === 0 && finite && dialect === 'sqlite' && options.walkMetricIndex !== false;
      let on: Cond = sql`${sql.raw(walk ? '+' : '')}${ref('run_pk')} = runs.run_pk AND ${ref('key_id')} = ${metricKeyId(t.key)}`;
      if (options.experimentIds?.length) {
        on = sql`${on} AND ${ref('experiment_id')} IN (${sql.join(options.experimentIds.map((id) => sql`${id}`))})`;
      }
      for (const c of required) on = sql`${on} AND ${metricMatch(alias, c)}`;
      const table = `latest_metrics as ${alias}` as const;
      if (required.length === 0) {
        q = q.leftJoin(table, (j) => j.on(on));
        q = q.orderBy(
          sql`CASE WHEN ${ref('run_pk')} IS NULL THEN 2 WHEN ${ref('is_nan')} = 1 THEN 1 ELSE 0 END`,
        );
      } else {
        q = q.innerJoin(table, (j) => j.on(on));
        if (!finite) q = q.orderBy(sql`${ref('is_nan')}`);
      }
      q = q.orderBy(sql`${ref('value')} ${dir}`);
    } else if (t.entity === 'param' || t.entity === 'tag') {
      const alias = `ok${i}`;
      const value = sql.ref(`${alias}.value`);
      const table = `${t.entity === 'param' ? 'params' : 'tags'} as ${alias}` as const;
      q = q.leftJoin(table, (j) =>
        j.on(
          sql<SqlBool>`${sql.ref(`${alias}.run_pk`)} = runs.run_pk AND ${sql.ref(`${alias}.key`)} = ${t.key}`,
        ),
      );
      q = q.orderBy(sql`CASE WHEN ${value} IS NULL THEN 1 ELSE 0 END`);
      q = q.orderBy(sql`${byCodePoint(value, dialect)} ${dir}`);
    } else if (t.entity === 'attribute') {
      const name = lookup(RUN_COLUMNS, t.key, 'attribute');
      const col = sql.ref(`runs.${name}`);
      if (NULLABLE_COLUMNS.has(name)) q = q.orderBy(sql`CASE WHEN ${col} IS NULL THEN 1 ELSE 0 END`);
      q = q.orderBy(sql`${INTEGER_COLUMNS.has(name) ? col : byCodePoint(col, dialect)} ${dir}`);
      byStart ||= name === 'start_time';
      byId ||= name === 'run_uuid';
    } else {
      throw invalid(`Runs cannot be ordered by ${t.entity}s`);
    }
  });
  if (!byStart) q = q.orderBy(sql`runs.start_time DESC`);
  if (!byId) q = q.orderBy(sql`runs.run_uuid ASC`);
  return q as unknown as RunQuery<O>;
}

/**
 * Orders a query over `experiments` by `terms`, by default `creation_time DESC, experiment_id ASC`
 * as MLflow does, with `experiment_id DESC` as the tiebreak when the terms do not name it.
 */
export function applyExperimentOrder<O>(
  qb: ExperimentQuery<O>,
  terms: readonly OrderTerm[],
  dialect: Dialect,
): ExperimentQuery<O> {
  const effective: readonly OrderTerm[] = terms.length
    ? terms
    : [
        { entity: 'attribute', key: 'creation_time', ascending: false },
        { entity: 'attribute', key: 'experiment_id', ascending: true },
      ];
  let q = qb;
  for (const t of effective) {
    if (t.entity !== 'attribute') throw invalid(`Experiments cannot be ordered by ${t.entity}s`);
    const name = lookup(EXPERIMENT_COLUMNS, t.key, 'attribute');
    const col = sql.ref(`experiments.${name}`);
    q = q.orderBy(
      sql`${INTEGER_COLUMNS.has(name) ? col : byCodePoint(col, dialect)} ${direction(t.ascending)}`,
    );
  }
  if (!effective.some((t) => t.key === 'experiment_id')) q = q.orderBy(sql`experiments.experiment_id DESC`);
  return q;
}
