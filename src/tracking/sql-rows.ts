import type { Kysely, Selectable } from 'kysely';
import type { Database, ExperimentsTable } from '../store/schema.js';
import type { DatasetInput, Experiment, KeyValue, LifecycleStage, Metric, Run, RunStatus } from './types.js';

/** Turning database rows into tracking types, in batches (one query per table, not per run). */

export function metricValue(value: number, isNan: number): number {
  return isNan ? Number.NaN : Number(value);
}

export async function loadExperiments(
  db: Kysely<Database>,
  rows: Selectable<ExperimentsTable>[],
): Promise<Experiment[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.experiment_id);
  const tags = await db
    .selectFrom('experiment_tags')
    .select(['experiment_id', 'key', 'value'])
    .where('experiment_id', 'in', ids)
    .execute();
  const byExp = groupBy(tags, (t) => Number(t.experiment_id));
  return rows.map((r) => ({
    experiment_id: String(r.experiment_id),
    name: r.name,
    artifact_location: r.artifact_location,
    lifecycle_stage: r.lifecycle_stage as LifecycleStage,
    creation_time: Number(r.creation_time),
    last_update_time: Number(r.last_update_time),
    tags: (byExp.get(Number(r.experiment_id)) ?? []).map(({ key, value }) => ({ key, value })),
  }));
}

export interface RunRecord {
  run_pk: number;
  run_uuid: string;
  experiment_id: number;
  name: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time: number | null;
  lifecycle_stage: string;
  artifact_uri: string;
}

export const RUN_COLUMNS = [
  'runs.run_pk',
  'runs.run_uuid',
  'runs.experiment_id',
  'runs.name',
  'runs.user_id',
  'runs.status',
  'runs.start_time',
  'runs.end_time',
  'runs.lifecycle_stage',
  'runs.artifact_uri',
] as const;

/** Params, tags, latest metrics, dataset inputs and model outputs of many runs, in five queries. */
export async function loadRuns(db: Kysely<Database>, rows: RunRecord[]): Promise<Run[]> {
  if (rows.length === 0) return [];
  const pks = rows.map((r) => Number(r.run_pk));
  const [params, tags, metrics, inputs, outputs] = await Promise.all([
    db
      .selectFrom('params')
      .select(['run_pk', 'key', 'value'])
      .where('run_pk', 'in', pks)
      .orderBy('key')
      .execute(),
    db
      .selectFrom('tags')
      .select(['run_pk', 'key', 'value'])
      .where('run_pk', 'in', pks)
      .orderBy('key')
      .execute(),
    db
      .selectFrom('latest_metrics as lm')
      .innerJoin('metric_keys as mk', 'mk.key_id', 'lm.key_id')
      .select(['lm.run_pk', 'mk.key', 'lm.value', 'lm.is_nan', 'lm.timestamp', 'lm.step'])
      .where('lm.run_pk', 'in', pks)
      .orderBy('mk.key')
      .execute(),
    db
      .selectFrom('run_inputs as ri')
      .innerJoin('datasets as d', 'd.dataset_pk', 'ri.dataset_pk')
      .select([
        'ri.run_pk',
        'ri.tags',
        'd.name',
        'd.digest',
        'd.source_type',
        'd.source',
        'd.schema',
        'd.profile',
      ])
      .where('ri.run_pk', 'in', pks)
      .orderBy('d.dataset_pk')
      .execute(),
    db
      .selectFrom('run_outputs')
      .select(['run_pk', 'model_id', 'step'])
      .where('run_pk', 'in', pks)
      .orderBy('step')
      .orderBy('model_id')
      .execute(),
  ]);
  const paramsBy = groupBy(params, (p) => Number(p.run_pk));
  const tagsBy = groupBy(tags, (t) => Number(t.run_pk));
  const metricsBy = groupBy(metrics, (m) => Number(m.run_pk));
  const inputsBy = groupBy(inputs, (i) => Number(i.run_pk));
  const outputsBy = groupBy(outputs, (o) => Number(o.run_pk));
  return rows.map((r) => {
    const pk = Number(r.run_pk);
    const kv = (x: { key: string; value: string }): KeyValue => ({ key: x.key, value: x.value });
    return {
      info: {
        run_uuid: r.run_uuid,
        experiment_id: String(r.experiment_id),
        run_name: r.name,
        user_id: r.user_id,
        status: r.status as RunStatus,
        start_time: Number(r.start_time),
        ...(r.end_time !== null ? { end_time: Number(r.end_time) } : {}),
        artifact_uri: r.artifact_uri,
        lifecycle_stage: r.lifecycle_stage as LifecycleStage,
        run_id: r.run_uuid,
      },
      data: {
        metrics: (metricsBy.get(pk) ?? []).map(
          (m): Metric => ({
            key: m.key,
            value: metricValue(m.value, m.is_nan),
            timestamp: Number(m.timestamp),
            step: Number(m.step),
          }),
        ),
        params: (paramsBy.get(pk) ?? []).map(kv),
        tags: (tagsBy.get(pk) ?? []).map(kv),
      },
      inputs: {
        dataset_inputs: (inputsBy.get(pk) ?? []).map(
          (i): DatasetInput => ({
            tags: JSON.parse(i.tags) as KeyValue[],
            dataset: {
              name: i.name,
              digest: i.digest,
              source_type: i.source_type,
              source: i.source,
              ...(i.schema !== null ? { schema: i.schema } : {}),
              ...(i.profile !== null ? { profile: i.profile } : {}),
            },
          }),
        ),
      },
      outputs: {
        model_outputs: (outputsBy.get(pk) ?? []).map((o) => ({ model_id: o.model_id, step: Number(o.step) })),
      },
    };
  });
}

function groupBy<T>(items: T[], key: (t: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** The latest point per key of a batch: max (step, timestamp, value), NaN counting as 0 (as MLflow). */
export function latestPerKey(metrics: Metric[]): Map<string, Metric> {
  const best = new Map<string, Metric>();
  for (const m of metrics) {
    const cur = best.get(m.key);
    if (!cur || isLater(m, cur)) best.set(m.key, m);
  }
  return best;
}

function isLater(a: Metric, b: Metric): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return storedValue(a.value) > storedValue(b.value);
}

/** What the value column holds: NaN is stored as 0 with is_nan = 1. */
export function storedValue(v: number): number {
  return Number.isNaN(v) ? 0 : v;
}
