/** The model registry's data types, shaped as MLflow's model_registry.proto shapes them. */
import type { DatasetInput, KeyValue, Metric, RunInfo } from '../tracking/types.js';

/** MLflow's legacy stages, in their canonical spelling. */
export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type Stage = (typeof STAGES)[number];
/** The stages `archive_existing_versions` may be used with. */
export const ACTIVE_STAGES: readonly Stage[] = ['Staging', 'Production'];

export const MODEL_VERSION_STATUSES = ['PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY'] as const;
export type ModelVersionStatus = (typeof MODEL_VERSION_STATUSES)[number];

export interface ModelVersion {
  name: string;
  /** A decimal string, as on the wire (`"1"`). */
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id?: string;
  current_stage: Stage;
  description: string;
  source: string;
  run_id: string;
  status: ModelVersionStatus;
  status_message?: string;
  tags: KeyValue[];
  run_link: string;
  /** Aliases of the model that point at this version. */
  aliases: string[];
  /** The MLflow 3 logged model this version was registered from, if any. */
  model_id?: string;
}

export interface RegisteredModelAlias {
  alias: string;
  version: string;
}

export interface RegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description: string;
  /** The latest version in each stage that has one. */
  latest_versions: ModelVersion[];
  tags: KeyValue[];
  aliases: RegisteredModelAlias[];
}

/** A model version with the run it came from: the run's params, metrics and dataset inputs. */
export interface Lineage {
  modelVersion: ModelVersion;
  run: {
    info: RunInfo;
    params: KeyValue[];
    metrics: Metric[];
    /** The datasets the run read, each with its digest. */
    inputs: DatasetInput[];
  } | null;
}

/** The tag MLflow puts on registered models and versions that are prompts, not models. */
export const PROMPT_TAG = 'mlflow.prompt.is_prompt';

/** Event types the registry records (see src/store/events.ts). */
export const REGISTRY_EVENTS = {
  versionCreated: 'model_version.created',
  stageChanged: 'model_version.stage_changed',
  versionDeleted: 'model_version.deleted',
  aliasSet: 'registered_model.alias_set',
  aliasDeleted: 'registered_model.alias_deleted',
  renamed: 'registered_model.renamed',
  modelDeleted: 'registered_model.deleted',
} as const;

/** The payload of every registry event; the subject is the model's name (the new one for a rename). */
export interface RegistryEventPayload {
  name: string;
  version?: string;
  alias?: string;
  from?: string;
  to?: string;
}
