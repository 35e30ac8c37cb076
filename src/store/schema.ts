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

// ---- model registry and events (migration 003-registry) ----

export interface RegisteredModelsTable {
  model_pk: Generated<number>;
  name: string;
  description: string;
  creation_time: number;
  last_updated_time: number;
  /** The last version number handed out: versions count up from 1 and are never reused. */
  last_version: number;
}

export interface ModelVersionsTable {
  model_pk: number;
  version: number;
  creation_time: number;
  last_updated_time: number;
  description: string;
  user_id: string | null;
  current_stage: string;
  source: string;
  /** Where the files are when it differs from `source`; null means `source`. */
  storage_location: string | null;
  run_id: string;
  run_link: string;
  status: string;
  status_message: string | null;
  /** The MLflow 3 logged model the version was registered from. */
  model_id: string | null;
}

export interface RegisteredModelTagsTable {
  model_pk: number;
  key: string;
  value: string;
}

export interface ModelVersionTagsTable {
  model_pk: number;
  version: number;
  key: string;
  value: string;
}

export interface RegisteredModelAliasesTable {
  model_pk: number;
  alias: string;
  version: number;
}

/** The event log every domain appends to (src/store/events.ts). */
export interface EventsTable {
  event_id: Generated<number>;
  type: string;
  subject: string;
  /** JSON text. */
  payload: string;
  created_at: number;
}

export interface Database {
  registered_models: RegisteredModelsTable;
  model_versions: ModelVersionsTable;
  registered_model_tags: RegisteredModelTagsTable;
  model_version_tags: ModelVersionTagsTable;
  registered_model_aliases: RegisteredModelAliasesTable;
  events: EventsTable;
}

// ---- MLflow 3 logged models and run outputs (migration 004-logged-models) ----

export interface LoggedModelsTable {
  model_id: string;
  experiment_id: number;
  name: string;
  artifact_uri: string;
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
  /** PENDING, READY or FAILED (MLflow's LoggedModelStatus values; the wire adds the LOGGED_MODEL_ prefix). */
  status: string;
  status_message: string | null;
  model_type: string | null;
  source_run_id: string | null;
  lifecycle_stage: string;
}

export interface LoggedModelParamsTable {
  model_id: string;
  key: string;
  value: string;
}

export interface LoggedModelTagsTable {
  model_id: string;
  key: string;
  value: string;
}

/** A run's model outputs: the logged models it produced, at a step. */
export interface RunOutputsTable {
  run_pk: number;
  model_id: string;
  step: number;
}

export interface Database {
  logged_models: LoggedModelsTable;
  logged_model_params: LoggedModelParamsTable;
  logged_model_tags: LoggedModelTagsTable;
  run_outputs: RunOutputsTable;
}

/** One logged inference (serving's `InferenceRecord`); inputs and outputs are JSON text. */
export interface InferenceLogTable {
  id: Generated<number>;
  request_id: string;
  time: number;
  route: string;
  model_uri: string;
  model_version: string | null;
  inputs: string;
  outputs: string;
  latency_ms: number;
  status: number;
}

/** A ground-truth label posted for a request id (JSON text), at `time`. */
export interface InferenceFeedbackTable {
  request_id: string;
  label: string;
  time: number;
}

export interface Database {
  inference_log: InferenceLogTable;
  inference_feedback: InferenceFeedbackTable;
}

// ---- users, API tokens and permissions (migration 006-auth, src/auth) ----

export interface AuthUsersTable {
  user_id: Generated<number>;
  username: string;
  /** `scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>`: the parameters travel with the hash. */
  password_hash: string;
  is_admin: number;
  created_time: number;
}

export interface AuthTokensTable {
  token_id: Generated<number>;
  user_id: number;
  name: string;
  /** SHA-256 of the token, hex; the token itself is shown once and never stored. */
  token_hash: string;
  created_time: number;
  expires_time: number | null;
  last_used_time: number | null;
}

export interface AuthExperimentPermissionsTable {
  experiment_id: number;
  user_id: number;
  permission: string;
}

export interface AuthRegisteredModelPermissionsTable {
  model_pk: number;
  user_id: number;
  permission: string;
}

export interface Database {
  auth_users: AuthUsersTable;
  auth_tokens: AuthTokensTable;
  auth_experiment_permissions: AuthExperimentPermissionsTable;
  auth_registered_model_permissions: AuthRegisteredModelPermissionsTable;
}
