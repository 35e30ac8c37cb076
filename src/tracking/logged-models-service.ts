import { type Clock, systemClock } from '../core/clock.js';
import { CairnError } from '../core/errors.js';
import { checkSearchLimits, SEARCH_LIMITS } from '../core/search-limits.js';
import { isVisible, type Visibility } from '../core/visibility.js';
import { trackingErrors } from './errors.js';
import { parseLoggedModelFilter, parseLoggedModelOrderBy } from './logged-models-search.js';
import type { LoggedModelStore } from './logged-models-store.js';
import {
  FINAL_STATUSES,
  type LoggedModel,
  type LoggedModelDatasetFilter,
  type LoggedModelOrderBy,
  type LoggedModelStatus,
} from './logged-models-types.js';
import {
  LOGGED_MODEL_LIMITS,
  loggedModelErrors,
  validateLoggedModelId,
  validateLoggedModelName,
  validateLoggedModelParams,
  validateLoggedModelTagKey,
  validateLoggedModelTags,
  validateModelType,
} from './logged-models-validate.js';
import { randomRunName } from './run-names.js';
import type { TrackingService } from './service.js';
import type { KeyValue, ModelOutput, Page } from './types.js';
import { LIMITS, validateExperimentId, validateMaxResults, validateRunId } from './validate.js';

export interface CreateLoggedModelInput {
  experimentId: string;
  /** Absent: a random readable name, as MLflow gives. */
  name?: string;
  modelType?: string;
  sourceRunId?: string;
  params?: KeyValue[];
  tags?: KeyValue[];
}

export interface SearchLoggedModelsInput {
  experimentIds: string[];
  filter?: string;
  datasets?: LoggedModelDatasetFilter[];
  orderBy?: LoggedModelOrderBy[];
  /** Default 50 (MLflow's); at most 50,000. */
  maxResults?: number;
  pageToken?: string;
  /** Only models of these experiments may be returned (the caller's permissions). */
  visible?: Visibility;
}

/**
 * MLflow 3's logged models, written once for every adapter: validation, defaults, lifecycle.
 * Experiments and runs are looked up through the TrackingService, so their rules and errors are
 * tracking's own.
 */
export class LoggedModelService {
  constructor(
    readonly store: LoggedModelStore,
    private readonly tracking: TrackingService,
    private readonly clock: Clock = systemClock,
  ) {}

  async createLoggedModel(input: CreateLoggedModelInput): Promise<LoggedModel> {
    const experimentId = validateExperimentId(input.experimentId);
    const name = input.name === undefined ? randomRunName() : validateLoggedModelName(input.name);
    const modelType = input.modelType === undefined ? undefined : validateModelType(input.modelType);
    const params = validateLoggedModelParams(input.params ?? []);
    const tags = validateLoggedModelTags(input.tags ?? []);
    const exp = await this.tracking.getExperiment(experimentId);
    if (exp.lifecycle_stage !== 'active') throw loggedModelErrors.experimentNotActive(experimentId);
    let sourceRunId: string | undefined;
    if (input.sourceRunId !== undefined && input.sourceRunId !== '') {
      sourceRunId = (await this.tracking.getRun(validateRunId(input.sourceRunId))).info.run_id;
    }
    return this.store.createLoggedModel({
      experimentId,
      name,
      ...(modelType ? { modelType } : {}),
      ...(sourceRunId ? { sourceRunId } : {}),
      params,
      tags,
      time: this.clock(),
    });
  }

  /** The model; RESOURCE_DOES_NOT_EXIST for an unknown or deleted id. */
  async getLoggedModel(modelId: string): Promise<LoggedModel> {
    const id = validateLoggedModelId(modelId);
    const model = await this.store.getLoggedModel(id);
    if (!model) throw loggedModelErrors.notFound(id);
    return model;
  }

  /** Sets the final status once the files are uploaded (READY) or failed to (UPLOAD_FAILED). */
  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    const id = validateLoggedModelId(modelId);
    if (!FINAL_STATUSES.includes(status)) {
      throw new CairnError(
        'INVALID_PARAMETER_VALUE',
        `Invalid status '${String(status)}' to finalize a logged model. Expected one of ${FINAL_STATUSES.join(', ')}.`,
      );
    }
    await this.store.finalizeLoggedModel(id, status, this.clock());
    return this.getLoggedModel(id);
  }

  /** Soft delete: afterwards the model is not found, as in MLflow. */
  async deleteLoggedModel(modelId: string): Promise<void> {
    await this.store.deleteLoggedModel(validateLoggedModelId(modelId), this.clock());
  }

  async setLoggedModelTags(modelId: string, tags: KeyValue[]): Promise<LoggedModel> {
    const id = validateLoggedModelId(modelId);
    const checked = validateLoggedModelTags(tags);
    await this.store.setLoggedModelTags(id, checked, this.clock());
    return this.getLoggedModel(id);
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    const model = await this.getLoggedModel(modelId);
    validateLoggedModelTagKey(key);
    if (!model.info.tags.some((t) => t.key === key))
      throw loggedModelErrors.tagNotFound(model.info.model_id, key);
    await this.store.deleteLoggedModelTag(model.info.model_id, key, this.clock());
  }

  /** Params are immutable: the same value again is a no-op, another value an error; all or nothing. */
  async logLoggedModelParams(modelId: string, params: KeyValue[]): Promise<void> {
    const id = validateLoggedModelId(modelId);
    await this.store.logLoggedModelParams(id, validateLoggedModelParams(params), this.clock());
  }

  async searchLoggedModels(input: SearchLoggedModelsInput): Promise<Page<LoggedModel>> {
    checkSearchLimits(input);
    if ((input.datasets?.length ?? 0) > SEARCH_LIMITS.experimentIds)
      throw new CairnError(
        'INVALID_PARAMETER_VALUE',
        `datasets lists more than ${SEARCH_LIMITS.experimentIds} entries.`,
      );
    const experimentIds = input.experimentIds
      .map(validateExperimentId)
      .filter((id) => isVisible(input.visible, id));
    const filterText = input.filter ?? '';
    const orderByRaw = input.orderBy ?? [];
    const datasets = input.datasets ?? [];
    for (const d of datasets) {
      if (typeof d.dataset_name !== 'string' || d.dataset_name === '') {
        throw new CairnError(
          'INVALID_PARAMETER_VALUE',
          '`dataset_name` in the `datasets` clause must be specified.',
        );
      }
    }
    return this.store.searchLoggedModels({
      experimentIds,
      filter: parseLoggedModelFilter(filterText),
      filterText,
      orderBy: parseLoggedModelOrderBy(orderByRaw),
      orderByRaw,
      datasets,
      maxResults: validateMaxResults(
        input.maxResults,
        LOGGED_MODEL_LIMITS.maxResultsDefault,
        LIMITS.maxResultsRuns,
      ),
      ...(input.pageToken ? { pageToken: input.pageToken } : {}),
    });
  }

  /** `runs/outputs`: links an active run to the logged models it produced, each at a step. */
  async logOutputs(runId: string, outputs: ModelOutput[]): Promise<void> {
    const id = validateRunId(runId);
    if (outputs.length > LOGGED_MODEL_LIMITS.outputsPerCall) {
      throw new CairnError(
        'INVALID_PARAMETER_VALUE',
        `A runs/outputs request can contain at most ${LOGGED_MODEL_LIMITS.outputsPerCall} models. Got ${outputs.length}.`,
      );
    }
    const unique = new Map<string, ModelOutput>();
    for (const o of outputs) {
      validateLoggedModelId(o.model_id);
      if (!Number.isSafeInteger(o.step))
        throw new CairnError(
          'INVALID_PARAMETER_VALUE',
          `Invalid step ${String(o.step)} for model '${o.model_id}'.`,
        );
      unique.set(`${o.model_id}\u0000${o.step}`, { model_id: o.model_id, step: o.step });
    }
    const run = await this.tracking.getRun(id);
    if (run.info.lifecycle_stage !== 'active')
      throw trackingErrors.runNotActive(id, run.info.lifecycle_stage);
    await this.store.logOutputs(id, [...unique.values()]);
  }

  /**
   * Where a logged model's files are (`<experiment artifact location>/models/<id>/artifacts`): what
   * `models:/m-<id>` resolves to. RESOURCE_DOES_NOT_EXIST for an unknown or deleted model.
   */
  async loggedModelArtifactUri(modelId: string): Promise<string> {
    return (await this.getLoggedModel(modelId)).info.artifact_uri;
  }
}
