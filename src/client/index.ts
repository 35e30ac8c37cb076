/**
 * `cairn/client`: the SDK for user code. Loads no native module: the SQL adapters (better-sqlite3,
 * pg) are imported only when `connect` opens an embedded store.
 */
export { CairnError, type ErrorCode } from '../core/errors.js';
export { type Column, type ColumnType, Frame } from '../core/frame.js';
export type { ArtifactStore, FileInfo } from '../store/artifact-store.js';
export { HttpArtifactStore, type HttpArtifactStoreOptions } from '../store/http-artifact-store.js';
export type { TrackingService } from '../tracking/service.js';
export type {
  DatasetInput,
  Experiment,
  Metric,
  Run as RunRecord,
  RunInfo,
  RunStatus,
} from '../tracking/types.js';
export {
  type ArtifactTarget,
  CairnClient,
  type InitOptions,
  type StartRunOptions,
} from './client.js';
export { type ConnectOptions, connect } from './connect.js';
export { type DatasetSpec, datasetDigest } from './dataset.js';
export {
  type CapturedEnvironment,
  captureEnvironment,
  ENV_TAGS,
  ENVIRONMENT_ARTIFACT,
} from './environment.js';
export type { MetricBufferOptions } from './metric-buffer.js';
export type { DownloadedModel, LoadedModelHandle, LoggedModelResult, LogModelOptions } from './models.js';
export { Run } from './run.js';
export { currentRun, finish, init, log, type ModuleInitOptions } from './wandb.js';
