import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../store/db.js';
import type { Database } from '../store/schema.js';
import { RUN_COLUMNS, type RunRecord } from './sql-rows.js';
import { applyRunFilter, applyRunOrder } from './sql-search.js';
import type { RunSearch } from './store.js';
import type { ViewType } from './types.js';

/**
 * The rows of one page of runs/search. When the first order term is a metric the filter does not
 * already require, the page is read in two parts so the database can walk the metric's index
 * instead of sorting every run of the experiments: first the runs that have a number for it, in
 * value order, then those whose value is NaN or missing (MLflow puts them last). The two parts
 * concatenated are exactly the single ordered query's result.
 */
export async function searchRunRows(
  db: Kysely<Database>,
  dialect: Dialect,
  q: RunSearch,
  experimentIds: number[],
  offset: number,
  limit: number,
): Promise<RunRecord[]> {
  const first = q.orderBy[0];
  const required =
    first?.entity === 'metric' && q.filter.clauses.some((c) => c.entity === 'metric' && c.key === first.key);
  if (first?.entity !== 'metric' || required) {
    return (await base(db, dialect, q, experimentIds, q.filter)
      .limit(limit)
      .offset(offset)
      .execute()) as RunRecord[];
  }
  // Part 1: a number is present (is_nan = 0) — the filter now requires it, so the order walks the index.
  const withValue = {
    clauses: [
      ...q.filter.clauses,
      { entity: 'metric' as const, key: first.key, op: '>=' as const, value: Number.NEGATIVE_INFINITY },
    ],
  };
  const part1 = (await base(db, dialect, q, experimentIds, withValue)
    .limit(limit)
    .offset(offset)
    .execute()) as RunRecord[];
  if (part1.length === limit) return part1;
  // How many runs part 1 holds in all, to know where part 2 starts.
  let total1 = offset + part1.length;
  if (part1.length === 0 && offset > 0) {
    const counter = filtered(db, dialect, q, experimentIds, withValue)
      .clearSelect()
      .select(sql<number>`count(*)`.as('n'));
    total1 = Number((await counter.executeTakeFirst())?.n ?? 0);
  }
  // Part 2: NaN or missing, in the single query's order (NaN before missing).
  const noValue = base(db, dialect, q, experimentIds, q.filter).where(
    sql<boolean>`NOT EXISTS (SELECT 1 FROM latest_metrics AS lmv WHERE lmv.run_pk = runs.run_pk AND lmv.is_nan = 0
      AND lmv.key_id = (SELECT mk.key_id FROM metric_keys AS mk WHERE mk.key = ${first.key}))`,
  );
  const part2 = (await noValue
    .limit(limit - part1.length)
    .offset(Math.max(0, offset - total1))
    .execute()) as RunRecord[];
  return [...part1, ...part2];
}

function filtered(
  db: Kysely<Database>,
  dialect: Dialect,
  q: RunSearch,
  experimentIds: number[],
  filter: RunSearch['filter'],
) {
  let qb = db.selectFrom('runs').select(RUN_COLUMNS).where('runs.experiment_id', 'in', experimentIds);
  qb = lifecycle(qb, q.viewType);
  return applyRunFilter(qb, filter, dialect);
}

function base(
  db: Kysely<Database>,
  dialect: Dialect,
  q: RunSearch,
  experimentIds: number[],
  filter: RunSearch['filter'],
) {
  return applyRunOrder(filtered(db, dialect, q, experimentIds, filter), q.orderBy, dialect, {
    filter,
    experimentIds,
  });
}

function lifecycle<QB extends { where: (...args: never[]) => unknown }>(qb: QB, view: ViewType): QB {
  if (view === 'ALL') return qb;
  return (qb as unknown as { where: (c: string, op: string, v: string) => QB }).where(
    'runs.lifecycle_stage',
    '=',
    view === 'ACTIVE_ONLY' ? 'active' : 'deleted',
  );
}
