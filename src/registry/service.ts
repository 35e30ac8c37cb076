import { type Clock, systemClock } from '../core/clock.js';
import { CairnError } from '../core/errors.js';
import { checkSearchLimits } from '../core/search-limits.js';
import type { Visibility } from '../core/visibility.js';
import type { TrackingService } from '../tracking/service.js';
import type { KeyValue, Page, Run } from '../tracking/types.js';
import { validateMaxResults } from '../tracking/validate.js';
import { registryErrors } from './errors.js';
import {
  parseModelVersionFilter,
  parseModelVersionOrderBy,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
} from './search-parse.js';
import { checkModelSource } from './source.js';
import type { RegistryStore } from './store.js';
import type { Lineage, ModelVersion, RegisteredModel, Stage } from './types.js';
import {
  canonicalStage,
  checkArchiveExisting,
  printable,
  REGISTRY_LIMITS,
  validateAlias,
  validateDescription,
  validateModelName,
  validateOptionalRunId,
  validateRegistryTag,
  validateRegistryTags,
  validateRunLink,
  validateVersion,
} from './validate.js';

export interface RegistryServiceOptions {
  /** Runs are looked up here for lineage. */
  tracking: TrackingService;
  /**
   * Locations (paths, `file:` or `s3://…` URIs) under which a version's source may lie, besides
   * `runs:/`, `models:/` and `mlflow-artifacts:/` URIs: typically the server's artifact destination.
   */
  allowedSourceRoots?: readonly string[];
  clock?: Clock;
  /** Resolves a source to where its files are (e.g. `models:/m-<id>` → the logged model's location). */
  storageLocationOf?: (source: string) => Promise<string | undefined>;
}

export interface SearchInput {
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
  /** Only these registered models (by name) and their versions (the caller's permissions). */
  visible?: Visibility;
}

export interface CreateModelVersionInput {
  name: string;
  source: string;
  runId?: string;
  tags?: KeyValue[];
  runLink?: string;
  description?: string;
  /** The MLflow 3 logged model registered (its `models:/m-<id>` source). */
  modelId?: string;
}

/**
 * The registry's rules, written once for every adapter: names, aliases, tags, stages, sources,
 * limits. The REST routes, the SDK and the CLI all go through here.
 */
export class RegistryService {
  private readonly clock: Clock;
  private readonly tracking: TrackingService;
  private readonly roots: readonly string[];

  constructor(
    readonly store: RegistryStore,
    private readonly options: RegistryServiceOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.tracking = options.tracking;
    this.roots = options.allowedSourceRoots ?? [];
  }

  async createRegisteredModel(input: {
    name: string;
    tags?: KeyValue[];
    description?: string;
  }): Promise<RegisteredModel> {
    return this.store.createRegisteredModel({
      name: validateModelName(input.name),
      tags: validateRegistryTags(input.tags),
      description: validateDescription(input.description),
      time: this.clock(),
    });
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    const n = validateModelName(name);
    const model = await this.store.getRegisteredModel(n);
    if (!model) throw registryErrors.modelNotFound(n);
    return model;
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    return this.store.renameRegisteredModel(
      validateModelName(name),
      validateModelName(newName, 'new_name'),
      this.clock(),
    );
  }

  /** Sets the description (an absent one clears it, as MLflow does). */
  async updateRegisteredModel(name: string, description?: string): Promise<RegisteredModel> {
    return this.store.updateRegisteredModel(
      validateModelName(name),
      validateDescription(description),
      this.clock(),
    );
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    return this.store.deleteRegisteredModel(validateModelName(name));
  }

  async searchRegisteredModels(input: SearchInput = {}): Promise<Page<RegisteredModel>> {
    checkSearchLimits(input);
    const filterText = input.filter ?? '';
    const orderByText = input.orderBy ?? [];
    return this.store.searchRegisteredModels({
      filter: parseRegisteredModelFilter(filterText),
      filterText,
      orderBy: parseRegisteredModelOrderBy(orderByText),
      orderByText,
      maxResults: validateMaxResults(
        input.maxResults,
        REGISTRY_LIMITS.defaultMaxResultsModels,
        REGISTRY_LIMITS.maxResultsModels,
      ),
      ...(input.pageToken ? { pageToken: input.pageToken } : {}),
      ...(input.visible ? { visible: input.visible } : {}),
    });
  }

  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    return this.store.setRegisteredModelTags(validateModelName(name), [validateRegistryTag({ key, value })]);
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    return this.store.deleteRegisteredModelTag(
      validateModelName(name),
      validateRegistryTag({ key, value: '' }).key,
    );
  }

  /** Points the alias at the version (moving it from another version, if any). */
  async setAlias(name: string, alias: string, version: string | number): Promise<void> {
    return this.store.setAlias(validateModelName(name), validateAlias(alias), validateVersion(version));
  }

  /** Removes the alias (the model must exist; an alias that is not set is no error, as in MLflow). */
  async deleteAlias(name: string, alias: string): Promise<void> {
    return this.store.deleteAlias(validateModelName(name), validateAlias(alias));
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    const a = validateAlias(alias);
    const version = await this.store.getVersionByAlias(validateModelName(name), a);
    if (!version) throw registryErrors.aliasNotFound(a);
    return version;
  }

  /** The latest version in each of `stages` (every stage when none is given). */
  async getLatestVersions(name: string, stages: readonly string[] = []): Promise<ModelVersion[]> {
    const wanted = [...new Set(stages.map(canonicalStage))];
    return this.store.getLatestVersions(validateModelName(name), wanted);
  }

  async createModelVersion(input: CreateModelVersionInput): Promise<ModelVersion> {
    const name = validateModelName(input.name);
    if (typeof input.source !== 'string' || input.source === '')
      throw new CairnError('INVALID_PARAMETER_VALUE', "Missing value for required parameter 'source'.");
    // Behind the HTTP adapter, the server checks sources against its own artifact roots.
    if (!this.store.remote) checkModelSource(input.source, this.roots);
    const modelId = input.modelId || undefined;
    if (modelId !== undefined && !/^[\w-]{1,256}$/.test(modelId))
      throw new CairnError(
        'INVALID_PARAMETER_VALUE',
        `Invalid value '${printable(modelId)}' for parameter 'model_id' supplied.`,
      );
    const storageLocation = this.store.remote
      ? undefined
      : await this.options.storageLocationOf?.(input.source);
    return this.store.createModelVersion({
      name,
      source: input.source,
      runId: validateOptionalRunId(input.runId),
      runLink: validateRunLink(input.runLink),
      description: validateDescription(input.description),
      tags: validateRegistryTags(input.tags),
      ...(storageLocation ? { storageLocation } : {}),
      ...(modelId ? { modelId } : {}),
      time: this.clock(),
    });
  }

  async getModelVersion(name: string, version: string | number): Promise<ModelVersion> {
    const n = validateModelName(name);
    const v = validateVersion(version);
    const mv = await this.store.getModelVersion(n, v);
    if (!mv) throw registryErrors.versionNotFound(n, v);
    return mv;
  }

  async updateModelVersion(
    name: string,
    version: string | number,
    description?: string,
  ): Promise<ModelVersion> {
    return this.store.updateModelVersion(
      validateModelName(name),
      validateVersion(version),
      validateDescription(description),
      this.clock(),
    );
  }

  /** Legacy stages: moves the version, archiving the model's others in that stage when asked. */
  async transitionStage(
    name: string,
    version: string | number,
    stage: string,
    archiveExistingVersions = false,
  ): Promise<ModelVersion> {
    const to: Stage = canonicalStage(stage);
    checkArchiveExisting(to, archiveExistingVersions);
    return this.store.transitionStage(
      validateModelName(name),
      validateVersion(version),
      to,
      archiveExistingVersions,
      this.clock(),
    );
  }

  async deleteModelVersion(name: string, version: string | number): Promise<void> {
    return this.store.deleteModelVersion(validateModelName(name), validateVersion(version), this.clock());
  }

  async searchModelVersions(input: SearchInput = {}): Promise<Page<ModelVersion>> {
    checkSearchLimits(input);
    const filterText = input.filter ?? '';
    const orderByText = input.orderBy ?? [];
    return this.store.searchModelVersions({
      filter: parseModelVersionFilter(filterText),
      filterText,
      orderBy: parseModelVersionOrderBy(orderByText),
      orderByText,
      maxResults: validateMaxResults(
        input.maxResults,
        REGISTRY_LIMITS.defaultMaxResultsVersions,
        REGISTRY_LIMITS.maxResultsVersions,
      ),
      ...(input.pageToken ? { pageToken: input.pageToken } : {}),
      ...(input.visible ? { visible: input.visible } : {}),
    });
  }

  async setModelVersionTag(
    name: string,
    version: string | number,
    key: string,
    value: string,
  ): Promise<void> {
    return this.store.setModelVersionTags(validateModelName(name), validateVersion(version), [
      validateRegistryTag({ key, value }),
    ]);
  }

  async deleteModelVersionTag(name: string, version: string | number, key: string): Promise<void> {
    return this.store.deleteModelVersionTag(
      validateModelName(name),
      validateVersion(version),
      validateRegistryTag({ key, value: '' }).key,
    );
  }

  /** Where the version's files are: its storage location, or its source. */
  async getDownloadUri(name: string, version: string | number): Promise<string> {
    const n = validateModelName(name);
    const v = validateVersion(version);
    const uri = await this.store.getDownloadUri(n, v);
    if (uri === undefined) throw registryErrors.versionNotFound(n, v);
    return uri;
  }

  /**
   * The version and the run that produced it (from a `runs:/` source, else the version's run_id):
   * the run's info, params, latest metrics and dataset inputs. `run` is null when there is no run
   * or it no longer exists.
   */
  async getLineage(name: string, version: string | number): Promise<Lineage> {
    const modelVersion = await this.getModelVersion(name, version);
    const fromSource = /^runs:\/([^/]+)/i.exec(modelVersion.source)?.[1];
    const runId = fromSource ?? (modelVersion.run_id || undefined);
    const run = runId ? await this.findRun(runId) : undefined;
    return {
      modelVersion,
      run: run
        ? {
            info: run.info,
            params: run.data.params,
            metrics: run.data.metrics,
            inputs: run.inputs.dataset_inputs,
          }
        : null,
    };
  }

  private async findRun(runId: string): Promise<Run | undefined> {
    try {
      return await this.tracking.getRun(runId);
    } catch (e) {
      if (
        e instanceof CairnError &&
        (e.code === 'RESOURCE_DOES_NOT_EXIST' || e.code === 'INVALID_PARAMETER_VALUE')
      )
        return undefined;
      throw e;
    }
  }
}
