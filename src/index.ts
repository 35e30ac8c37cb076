/**
 * `cairn`: the programmatic API behind the CLI. User code that only tracks runs should import
 * `cairn/client`, which loads no native module.
 */
export { type BackendOptions, type Backends, openBackends } from './backends.js';
export { CairnError, ERROR_STATUS, type ErrorCode } from './core/errors.js';
export { type Column, type ColumnType, Frame } from './core/frame.js';
export { seededRandom } from './core/random.js';
export { safeArtifactPath } from './core/safe-path.js';
export { type CairnModel, loadModel, type SaveModelOptions, saveModel } from './models/model-dir.js';
export { enforceSignature, inferSignature } from './models/signature.js';
export type { ModelManifest, ModelSignature } from './models/types.js';
export { type ModelResolverDeps, type ResolvedModel, resolveModelUri } from './registry/model-resolver.js';
export { type ModelUri, parseModelUri } from './registry/model-uri.js';
export { RegistryService } from './registry/service.js';
export type { ModelVersion, RegisteredModel } from './registry/types.js';
export { type AppDeps, type AppOptions, buildApp } from './server/app.js';
export { type RunningServer, type ServerOptions, startServer } from './server/start.js';
export { type ServingHandle, type ServingOptions, startServing } from './serving/server.js';
export { openArtifactStore, scopedArtifactStore } from './store/artifact-backends.js';
export type { ArtifactStore, FileInfo } from './store/artifact-store.js';
export { artifactStoreForUri } from './store/artifact-uri.js';
export { type MetadataDb, openMetadataDb } from './store/db.js';
export { EventLog } from './store/events.js';
export { openTrackingStore } from './tracking/backends.js';
export { LoggedModelService } from './tracking/logged-models-service.js';
export {
  parseExperimentFilter,
  parseExperimentOrderBy,
  parseRunFilter,
  parseRunOrderBy,
} from './tracking/search-parse.js';
export { TrackingService } from './tracking/service.js';
export type { TrackingStore } from './tracking/store.js';
export * from './tracking/types.js';
export * as gbdt from './training/gbdt/index.js';
export { VERSION } from './version.js';
