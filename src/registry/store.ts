import type { Visibility } from '../core/visibility.js';
import type { ParsedSearch } from '../tracking/search-types.js';
import type { KeyValue, Page } from '../tracking/types.js';
import type { ModelVersion, RegisteredModel, Stage } from './types.js';

export interface NewRegisteredModel {
  name: string;
  description: string;
  tags: KeyValue[];
  time: number;
}

export interface NewModelVersion {
  name: string;
  source: string;
  /** Where the files are, when it differs from `source` (e.g. a `models:/` source resolved). */
  storageLocation?: string;
  runId: string;
  runLink: string;
  description: string;
  tags: KeyValue[];
  userId?: string;
  modelId?: string;
  time: number;
}

export interface RegistrySearch extends ParsedSearch {
  maxResults: number;
  pageToken?: string;
  /** Only these models, by name (applied by SQL adapters; a remote server applies its own). */
  visible?: Visibility;
}

/**
 * The registry port: persistence only. Rules (names, limits, stages, sources) live in
 * RegistryService. Adapters: SQLite and PostgreSQL (sql-store.ts), HTTP (http-store.ts).
 *
 * Getters return undefined for an unknown model or version; writers to an unknown one throw
 * RESOURCE_DOES_NOT_EXIST. Version numbers are allocated by the store, 1, 2, 3… per model, never
 * reused, safely under concurrent creation. The SQL adapter records each change's event
 * (src/store/events.ts) in the change's own transaction; behind the HTTP adapter, the server does.
 */
export interface RegistryStore {
  /** True when a server behind this adapter applies the rules again with its own configuration. */
  readonly remote: boolean;

  createRegisteredModel(input: NewRegisteredModel): Promise<RegisteredModel>;
  getRegisteredModel(name: string): Promise<RegisteredModel | undefined>;
  renameRegisteredModel(name: string, newName: string, time: number): Promise<RegisteredModel>;
  updateRegisteredModel(name: string, description: string, time: number): Promise<RegisteredModel>;
  /** Deletes the model with its versions, tags and aliases. */
  deleteRegisteredModel(name: string): Promise<void>;
  searchRegisteredModels(query: RegistrySearch): Promise<Page<RegisteredModel>>;
  setRegisteredModelTags(name: string, tags: KeyValue[]): Promise<void>;
  deleteRegisteredModelTag(name: string, key: string): Promise<void>;

  /** Points `alias` at `version`, moving it if it pointed elsewhere. */
  setAlias(name: string, alias: string, version: string): Promise<void>;
  /** Removes the alias; removing an alias that is not set does nothing. */
  deleteAlias(name: string, alias: string): Promise<void>;
  getVersionByAlias(name: string, alias: string): Promise<ModelVersion | undefined>;
  /** The highest version in each of `stages` (all stages when empty). */
  getLatestVersions(name: string, stages: readonly Stage[]): Promise<ModelVersion[]>;

  createModelVersion(input: NewModelVersion): Promise<ModelVersion>;
  getModelVersion(name: string, version: string): Promise<ModelVersion | undefined>;
  updateModelVersion(name: string, version: string, description: string, time: number): Promise<ModelVersion>;
  /** Moves the version to `stage`; with `archiveExisting`, the model's other versions in it go to Archived. */
  transitionStage(
    name: string,
    version: string,
    stage: Stage,
    archiveExisting: boolean,
    time: number,
  ): Promise<ModelVersion>;
  /** Deletes the version and the aliases that point at it. */
  deleteModelVersion(name: string, version: string, time: number): Promise<void>;
  searchModelVersions(query: RegistrySearch): Promise<Page<ModelVersion>>;
  setModelVersionTags(name: string, version: string, tags: KeyValue[]): Promise<void>;
  deleteModelVersionTag(name: string, version: string, key: string): Promise<void>;
  /** The version's storage location (its source unless resolved elsewhere), undefined if unknown. */
  getDownloadUri(name: string, version: string): Promise<string | undefined>;

  close(): Promise<void>;
}
