/**
 * `cairn`: the programmatic API behind the CLI. User code that only tracks runs should import
 * `cairn/client`, which loads no native module.
 */
export { CairnError, ERROR_STATUS, type ErrorCode } from './core/errors.js';
export { safeArtifactPath } from './core/safe-path.js';
export { type AppDeps, type AppOptions, buildApp } from './server/app.js';
export { type RunningServer, type ServerOptions, startServer } from './server/start.js';
export { openArtifactStore, scopedArtifactStore } from './store/artifact-backends.js';
export type { ArtifactStore, FileInfo } from './store/artifact-store.js';
export { artifactStoreForUri } from './store/artifact-uri.js';
export { type MetadataDb, openMetadataDb } from './store/db.js';
export { openTrackingStore } from './tracking/backends.js';
export {
  parseExperimentFilter,
  parseExperimentOrderBy,
  parseRunFilter,
  parseRunOrderBy,
} from './tracking/search-parse.js';
export { TrackingService } from './tracking/service.js';
export type { TrackingStore } from './tracking/store.js';
export * from './tracking/types.js';
export { VERSION } from './version.js';
