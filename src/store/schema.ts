import type { Generated } from 'kysely';

/**
 * The metadata database, as Kysely sees it. Numbers that can exceed 2^31 (times, steps) are
 * bigint columns; drivers return them as numbers (SQLite) or are configured to (PostgreSQL).
 *
 * Runs and metric keys are interned to integers (`run_pk`, `key_id`) so the metric tables, the
 * largest by far, hold only numbers and are written in append-friendly key order.
 */
export interface ExperimentsTable {
  experiment_id: Generated<number>;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number;
  last_update_time: number;
}

export interface ExperimentTagsTable {
  experiment_id: number;
  key: string;
  value: string;
}

export interface RunsTable {
  run_pk: Generated<number>;
  run_uuid: string;
  experiment_id: number;
  name: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time: number | null;
  deleted_time: number | null;
  lifecycle_stage: string;
  artifact_uri: string;
}

export interface ParamsTable {
  run_pk: number;
  key: string;
  value: string;
}

export interface TagsTable {
  run_pk: number;
  key: string;
  value: string;
}

export interface MetricKeysTable {
  key_id: Generated<number>;
  key: string;
}

export interface MetricsTable {
  run_pk: number;
  key_id: number;
  step: number;
  timestamp: number;
  value: number;
  is_nan: number;
}

export interface LatestMetricsTable {
  run_pk: number;
  key_id: number;
  experiment_id: number;
  step: number;
  timestamp: number;
  value: number;
  is_nan: number;
}

export interface DatasetsTable {
  dataset_pk: Generated<number>;
  experiment_id: number;
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema: string | null;
  profile: string | null;
}

export interface RunInputsTable {
  run_pk: number;
  dataset_pk: number;
  /** JSON array of {key, value}: the input's tags (e.g. mlflow.data.context). */
  tags: string;
}

export interface Database {
  experiments: ExperimentsTable;
  experiment_tags: ExperimentTagsTable;
  runs: RunsTable;
  params: ParamsTable;
  tags: TagsTable;
  metric_keys: MetricKeysTable;
  metrics: MetricsTable;
  latest_metrics: LatestMetricsTable;
  datasets: DatasetsTable;
  run_inputs: RunInputsTable;
}
