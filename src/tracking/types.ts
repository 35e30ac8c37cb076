/** Tracking's data types, shaped as MLflow's protocol shapes them (snake_case on the wire). */

export type LifecycleStage = 'active' | 'deleted';
export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const VIEW_TYPES = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'] as const;
export type ViewType = (typeof VIEW_TYPES)[number];

export interface KeyValue {
  key: string;
  value: string;
}

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: LifecycleStage;
  creation_time: number;
  last_update_time: number;
  tags: KeyValue[];
}

export interface Metric {
  key: string;
  /** A number; NaN and ±Infinity are carried as numbers here and as strings on the wire. */
  value: number;
  timestamp: number;
  step: number;
}

export interface RunInfo {
  run_id: string;
  run_uuid: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: RunStatus;
  start_time: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage: LifecycleStage;
}

export interface Dataset {
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema?: string;
  profile?: string;
}

export interface DatasetInput {
  tags: KeyValue[];
  dataset: Dataset;
}

/** A logged model that a run produced (MLflow's ModelOutput), at a step of the run. */
export interface ModelOutput {
  model_id: string;
  step: number;
}

export interface Run {
  info: RunInfo;
  data: { metrics: Metric[]; params: KeyValue[]; tags: KeyValue[] };
  inputs: { dataset_inputs: DatasetInput[] };
  outputs: { model_outputs: ModelOutput[] };
}

export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

export interface RunBatch {
  metrics: Metric[];
  params: KeyValue[];
  tags: KeyValue[];
}

/** The system tags MLflow clients set and read. */
export const SYSTEM_TAGS = {
  user: 'mlflow.user',
  sourceName: 'mlflow.source.name',
  sourceType: 'mlflow.source.type',
  gitCommit: 'mlflow.source.git.commit',
  runName: 'mlflow.runName',
  parentRunId: 'mlflow.parentRunId',
  note: 'mlflow.note.content',
} as const;
