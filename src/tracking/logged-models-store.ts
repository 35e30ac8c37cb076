import type {
  LoggedModel,
  LoggedModelDatasetFilter,
  LoggedModelOrderBy,
  LoggedModelStatus,
} from './logged-models-types.js';
import type { FilterTree, OrderTerm } from './search-types.js';
import type { KeyValue, ModelOutput, Page } from './types.js';

export interface NewLoggedModel {
  experimentId: string;
  name: string;
  modelType?: string;
  sourceRunId?: string;
  params: KeyValue[];
  tags: KeyValue[];
  time: number;
}

export interface LoggedModelSearch {
  experimentIds: string[];
  filter: FilterTree;
  /** The filter as the caller wrote it, for adapters that forward it (HTTP). */
  filterText: string;
  orderBy: OrderTerm[];
  /** The order_by entries as the caller sent them, for adapters that forward them. */
  orderByRaw: LoggedModelOrderBy[];
  datasets: LoggedModelDatasetFilter[];
  maxResults: number;
  pageToken?: string;
}

/**
 * The logged-model port (MLflow 3), beside the tracking port: persistence only. Rules live in
 * LoggedModelService. Adapters: SQL (logged-models-sql-store.ts, SQLite and PostgreSQL, sharing
 * the tracking store's database handle) and HTTP (logged-models-http-store.ts).
 *
 * A deleted model is gone for every call: getLoggedModel returns undefined and writers throw
 * RESOURCE_DOES_NOT_EXIST, as for an unknown id.
 */
export interface LoggedModelStore {
  /**
   * Creates the model (status PENDING, artifact URI under its experiment's artifact location) with
   * its params and tags. The experiment must exist and be active.
   */
  createLoggedModel(input: NewLoggedModel): Promise<LoggedModel>;
  getLoggedModel(modelId: string): Promise<LoggedModel | undefined>;
  finalizeLoggedModel(modelId: string, status: LoggedModelStatus, time: number): Promise<void>;
  /** Soft delete: the row stays with lifecycle 'deleted'. */
  deleteLoggedModel(modelId: string, time: number): Promise<void>;
  /** Upserts tags. */
  setLoggedModelTags(modelId: string, tags: KeyValue[], time: number): Promise<void>;
  deleteLoggedModelTag(modelId: string, key: string, time: number): Promise<void>;
  /**
   * Writes all params or none. A param already logged with another value is an
   * INVALID_PARAMETER_VALUE (params are immutable, as a run's are); the same value again is a no-op.
   */
  logLoggedModelParams(modelId: string, params: KeyValue[], time: number): Promise<void>;
  searchLoggedModels(query: LoggedModelSearch): Promise<Page<LoggedModel>>;
  /**
   * Links a run to models it produced (`runs/outputs`); the run must be active and every model
   * must exist. Linking the same (model, step) twice is a no-op.
   */
  logOutputs(runId: string, outputs: ModelOutput[]): Promise<void>;
}
