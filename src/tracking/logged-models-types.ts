/**
 * MLflow 3's logged models, shaped as its protocol shapes them (`LoggedModel`, `LoggedModelInfo`,
 * `LoggedModelData` in service.proto; snake_case on the wire).
 */
import type { KeyValue, Metric } from './types.js';

/** LoggedModelStatus as the wire names it. A model starts PENDING; finalizing sets READY or UPLOAD_FAILED. */
export const LOGGED_MODEL_STATUSES = [
  'LOGGED_MODEL_PENDING',
  'LOGGED_MODEL_READY',
  'LOGGED_MODEL_UPLOAD_FAILED',
] as const;
export type LoggedModelStatus = (typeof LOGGED_MODEL_STATUSES)[number];

/** The statuses a finalize call may set. */
export const FINAL_STATUSES: readonly LoggedModelStatus[] = [
  'LOGGED_MODEL_READY',
  'LOGGED_MODEL_UPLOAD_FAILED',
];

/** A registered model version made from this logged model. */
export interface LoggedModelRegistration {
  name: string;
  version: string;
}

export interface LoggedModelInfo {
  /** `m-` and 32 lowercase hex digits. */
  model_id: string;
  experiment_id: string;
  name: string;
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
  /** `<experiment artifact_location>/models/<model_id>/artifacts`. */
  artifact_uri: string;
  status: LoggedModelStatus;
  /** MLflow's int64 principal id; open-source servers leave it unset. */
  creator_id?: number;
  model_type?: string;
  source_run_id?: string;
  status_message?: string;
  tags: KeyValue[];
  registrations: LoggedModelRegistration[];
}

export interface LoggedModelData {
  params: KeyValue[];
  /** Metrics linked to the model. Cairn does not link run metrics to logged models yet: always empty. */
  metrics: Metric[];
}

export interface LoggedModel {
  info: LoggedModelInfo;
  data: LoggedModelData;
}

/** One `order_by` entry of a logged-model search, as the wire carries it. */
export interface LoggedModelOrderBy {
  field_name: string;
  ascending?: boolean;
  dataset_name?: string;
  dataset_digest?: string;
}

/** One `datasets` entry of a logged-model search (scopes metric clauses to a dataset). */
export interface LoggedModelDatasetFilter {
  dataset_name: string;
  dataset_digest?: string;
}

export const LOGGED_MODEL_ID = /^m-[0-9a-f]{32}$/;
