import { type Clock, systemClock } from '../core/clock.js';
import { CairnError } from '../core/errors.js';
import { checkSearchLimits } from '../core/search-limits.js';
import { isVisible, type Visibility } from '../core/visibility.js';
import { checkArtifactLocationUnderRoots } from '../store/artifact-roots.js';
import { trackingErrors } from './errors.js';
import { randomRunName } from './run-names.js';
import {
  parseExperimentFilter,
  parseExperimentOrderBy,
  parseRunFilter,
  parseRunOrderBy,
} from './search-parse.js';
import type { TrackingStore } from './store.js';
import {
  type DatasetInput,
  type Experiment,
  type KeyValue,
  type Metric,
  type Page,
  RUN_STATUSES,
  type Run,
  type RunBatch,
  type RunInfo,
  type RunStatus,
  SYSTEM_TAGS,
  VIEW_TYPES,
  type ViewType,
} from './types.js';
import {
  LIMITS,
  validateBatch,
  validateDatasetInputs,
  validateExperimentId,
  validateExperimentName,
  validateKey,
  validateMaxResults,
  validateRunId,
  validateTagValue,
} from './validate.js';

export interface CreateRunInput {
  experimentId?: string;
  runName?: string;
  userId?: string;
  startTime?: number;
  tags?: KeyValue[];
}

export interface SearchRunsInput {
  experimentIds: string[];
  filter?: string;
  orderBy?: string[];
  viewType?: ViewType;
  maxResults?: number;
  pageToken?: string;
  /** Only runs of these experiments may be returned (the caller's permissions). */
  visible?: Visibility;
}

export interface SearchExperimentsInput {
  filter?: string;
  orderBy?: string[];
  viewType?: ViewType;
  maxResults?: number;
  pageToken?: string;
  /** Only these experiments may be returned (the caller's permissions). */
  visible?: Visibility;
}

const DEFAULT_EXPERIMENT_ID = '0';

export interface TrackingServiceOptions {
  /**
   * Where experiment artifact locations may point (a server passes its artifact destination):
   * `mlflow-artifacts:/…` and locations under these roots are accepted, anything else refused, so
   * a client cannot make the server read or list `file:///etc` or another bucket. Unset (embedded
   * use): any absolute path or `file:`, `s3:`, `mlflow-artifacts:` URI.
   */
  allowedArtifactRoots?: readonly string[];
}

/**
 * Tracking's rules, written once for every adapter: validation, limits, defaults, lifecycle.
 * The REST routes, the SDK and the CLI all go through here.
 */
export class TrackingService {
  constructor(
    readonly store: TrackingStore,
    private readonly clock: Clock = systemClock,
    private readonly options: TrackingServiceOptions = {},
  ) {}

  async createExperiment(input: {
    name: string;
    artifactLocation?: string;
    tags?: KeyValue[];
  }): Promise<string> {
    const name = validateExperimentName(input.name);
    const tags = input.tags ?? [];
    for (const t of tags) this.checkExperimentTag(t);
    if (input.artifactLocation !== undefined && input.artifactLocation !== '') {
      checkArtifactLocation(input.artifactLocation);
      if (this.options.allowedArtifactRoots)
        checkArtifactLocationUnderRoots(input.artifactLocation, this.options.allowedArtifactRoots);
    }
    if (await this.store.getExperimentByName(name)) throw trackingErrors.experimentExists(name);
    const artifactLocation = input.artifactLocation || undefined;
    return this.store.createExperiment({
      name,
      tags,
      time: this.clock(),
      ...(artifactLocation ? { artifactLocation } : {}),
    });
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    const id = validateExperimentId(experimentId);
    const exp = await this.store.getExperiment(id);
    if (!exp) throw trackingErrors.experimentNotFound(id);
    return exp;
  }

  async getExperimentByName(name: string): Promise<Experiment> {
    if (typeof name !== 'string' || name === '')
      throw new CairnError('INVALID_PARAMETER_VALUE', 'experiment_name is required');
    const exp = await this.store.getExperimentByName(name);
    if (!exp) throw trackingErrors.experimentNameNotFound(name);
    return exp;
  }

  /** The experiment with this name, created if there is none (what `mlflow.set_experiment` does). */
  async ensureExperiment(name: string): Promise<Experiment> {
    const existing = await this.store.getExperimentByName(validateExperimentName(name));
    if (existing) {
      if (existing.lifecycle_stage !== 'active')
        throw trackingErrors.experimentNotActive(existing.experiment_id, existing.lifecycle_stage);
      return existing;
    }
    try {
      return await this.getExperiment(await this.createExperiment({ name }));
    } catch (e) {
      // Another process created it between our read and our write.
      if (e instanceof CairnError && e.code === 'RESOURCE_ALREADY_EXISTS')
        return this.getExperimentByName(name);
      throw e;
    }
  }

  async searchExperiments(input: SearchExperimentsInput = {}): Promise<Page<Experiment>> {
    checkSearchLimits(input);
    const filterText = input.filter ?? '';
    const orderByText = input.orderBy ?? [];
    return this.store.searchExperiments({
      filter: parseExperimentFilter(filterText),
      filterText,
      orderBy: parseExperimentOrderBy(orderByText),
      orderByText,
      viewType: checkViewType(input.viewType),
      maxResults: validateMaxResults(input.maxResults, 1000, LIMITS.maxResultsExperiments),
      ...(input.pageToken ? { pageToken: input.pageToken } : {}),
      ...(input.visible ? { visible: input.visible } : {}),
    });
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    const exp = await this.getExperiment(experimentId);
    const name = validateExperimentName(newName);
    if (exp.lifecycle_stage !== 'active') {
      throw new CairnError('INVALID_PARAMETER_VALUE', 'Cannot rename a non-active experiment.');
    }
    if (name === exp.name) return;
    if (await this.store.getExperimentByName(name)) throw trackingErrors.experimentExists(name);
    await this.store.renameExperiment(exp.experiment_id, name, this.clock());
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    const exp = await this.getExperiment(experimentId);
    if (exp.experiment_id === DEFAULT_EXPERIMENT_ID) {
      throw new CairnError(
        'INVALID_PARAMETER_VALUE',
        `Cannot delete the default experiment '${DEFAULT_EXPERIMENT_ID}'. This is an internally reserved experiment.`,
      );
    }
    await this.store.setExperimentLifecycle(exp.experiment_id, 'deleted', this.clock());
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    const exp = await this.getExperiment(experimentId);
    if (exp.lifecycle_stage !== 'deleted') {
      throw new CairnError(
        'INVALID_PARAMETER_VALUE',
        `Cannot restore an active experiment. Experiment ${exp.experiment_id} is active.`,
      );
    }
    await this.store.setExperimentLifecycle(exp.experiment_id, 'active', this.clock());
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    const exp = await this.activeExperiment(experimentId);
    this.checkExperimentTag({ key, value });
    await this.store.setExperimentTags(exp.experiment_id, [{ key, value }]);
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    const exp = await this.activeExperiment(experimentId);
    validateKey('tag', key);
    await this.store.deleteExperimentTag(exp.experiment_id, key);
  }

  async createRun(input: CreateRunInput = {}): Promise<Run> {
    const experimentId = validateExperimentId(input.experimentId ?? DEFAULT_EXPERIMENT_ID);
    const exp = await this.store.getExperiment(experimentId);
    if (!exp) throw trackingErrors.experimentNotFound(experimentId);
    if (exp.lifecycle_stage !== 'active') {
      throw new CairnError(
        'INVALID_PARAMETER_VALUE',
        `Could not create run under non-active experiment with ID ${experimentId}.`,
      );
    }
    const tags = [...(input.tags ?? [])];
    for (const t of tags) {
      validateKey('tag', t.key);
      validateTagValue(t.key, t.value);
    }
    const tagRunName = tags.find((t) => t.key === SYSTEM_TAGS.runName)?.value;
    if (input.runName && tagRunName && input.runName !== tagRunName) {
      throw new CairnError(
        'INVALID_PARAMETER_VALUE',
        `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${input.runName}', mlflow.runName='${tagRunName}').`,
      );
    }
    const name = input.runName || tagRunName || randomRunName();
    checkRunName(name);
    if (!tagRunName) tags.push({ key: SYSTEM_TAGS.runName, value: name });
    const userId = input.userId ?? tags.find((t) => t.key === SYSTEM_TAGS.user)?.value ?? '';
    if (userId.length > LIMITS.userIdLength)
      throw new CairnError(
        'INVALID_PARAMETER_VALUE',
        `user_id had length ${userId.length}, which exceeded length limit of ${LIMITS.userIdLength}`,
      );
    const startTime = input.startTime ?? this.clock();
    if (!Number.isSafeInteger(startTime))
      throw new CairnError('INVALID_PARAMETER_VALUE', `Invalid start_time: ${startTime}`);
    return this.store.createRun({ experimentId, name, userId, startTime, tags: dedupeTags(tags) });
  }

  async getRun(runId: string): Promise<Run> {
    const id = validateRunId(runId);
    const run = await this.store.getRun(id);
    if (!run) throw trackingErrors.runNotFound(id);
    return run;
  }

  async updateRun(
    runId: string,
    patch: { status?: RunStatus; endTime?: number; runName?: string },
  ): Promise<RunInfo> {
    const run = await this.activeRun(runId);
    if (patch.status !== undefined && !RUN_STATUSES.includes(patch.status)) {
      throw new CairnError(
        'INVALID_PARAMETER_VALUE',
        `Invalid run status '${String(patch.status)}'. Expected one of ${RUN_STATUSES.join(', ')}.`,
      );
    }
    if (patch.endTime !== undefined && !Number.isSafeInteger(patch.endTime)) {
      throw new CairnError('INVALID_PARAMETER_VALUE', `Invalid end_time: ${patch.endTime}`);
    }
    if (patch.runName) checkRunName(patch.runName);
    await this.store.updateRun(run.info.run_id, {
      ...(patch.status ? { status: patch.status } : {}),
      ...(patch.endTime !== undefined ? { endTime: patch.endTime } : {}),
      ...(patch.runName ? { name: patch.runName } : {}),
    });
    return (await this.getRun(run.info.run_id)).info;
  }

  async deleteRun(runId: string): Promise<void> {
    const run = await this.getRun(runId);
    await this.store.updateRun(run.info.run_id, { lifecycleStage: 'deleted', deletedTime: this.clock() });
  }

  async restoreRun(runId: string): Promise<void> {
    const run = await this.getRun(runId);
    await this.store.updateRun(run.info.run_id, { lifecycleStage: 'active', deletedTime: null });
  }

  /** Everything or nothing: a batch that fails validation writes nothing. */
  async logBatch(runId: string, batch: Partial<RunBatch>): Promise<void> {
    const id = validateRunId(runId);
    const checked = validateBatch({
      metrics: batch.metrics ?? [],
      params: batch.params ?? [],
      tags: batch.tags ?? [],
    });
    if (checked.metrics.length + checked.params.length + checked.tags.length === 0) {
      await this.activeRun(id);
      return;
    }
    await this.store.logBatch(id, checked);
  }

  logMetric(runId: string, metric: Metric): Promise<void> {
    return this.logBatch(runId, { metrics: [metric] });
  }

  logParam(runId: string, key: string, value: string): Promise<void> {
    return this.logBatch(runId, { params: [{ key, value }] });
  }

  setTag(runId: string, key: string, value: string): Promise<void> {
    return this.logBatch(runId, { tags: [{ key, value }] });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    const run = await this.activeRun(runId);
    validateKey('tag', key);
    if (!run.data.tags.some((t) => t.key === key)) {
      throw new CairnError(
        'RESOURCE_DOES_NOT_EXIST',
        `No tag with name: ${key} in run with id ${run.info.run_id}`,
      );
    }
    await this.store.deleteTag(run.info.run_id, key);
  }

  async logInputs(runId: string, inputs: DatasetInput[]): Promise<void> {
    const id = validateRunId(runId);
    validateDatasetInputs(inputs);
    if (inputs.length === 0) {
      await this.activeRun(id);
      return;
    }
    await this.store.logInputs(id, inputs);
  }

  async getMetricHistory(
    runId: string,
    key: string,
    opts: { maxResults?: number; pageToken?: string } = {},
  ): Promise<Page<Metric>> {
    const run = await this.getRun(runId);
    validateKey('metric', key);
    return this.store.getMetricHistory({
      runId: run.info.run_id,
      key,
      maxResults: validateMaxResults(opts.maxResults, LIMITS.maxResultsHistory, LIMITS.maxResultsHistory),
      ...(opts.pageToken ? { pageToken: opts.pageToken } : {}),
    });
  }

  async searchRuns(input: SearchRunsInput): Promise<Page<Run>> {
    checkSearchLimits(input);
    const experimentIds = input.experimentIds
      .map(validateExperimentId)
      .filter((id) => isVisible(input.visible, id));
    const filterText = input.filter ?? '';
    const orderByText = input.orderBy ?? [];
    return this.store.searchRuns({
      experimentIds,
      filter: parseRunFilter(filterText),
      filterText,
      orderBy: parseRunOrderBy(orderByText),
      orderByText,
      viewType: checkViewType(input.viewType),
      maxResults: validateMaxResults(input.maxResults, 1000, LIMITS.maxResultsRuns),
      ...(input.pageToken ? { pageToken: input.pageToken } : {}),
    });
  }

  private async activeExperiment(experimentId: string): Promise<Experiment> {
    const exp = await this.getExperiment(experimentId);
    if (exp.lifecycle_stage !== 'active')
      throw trackingErrors.experimentNotActive(exp.experiment_id, exp.lifecycle_stage);
    return exp;
  }

  private async activeRun(runId: string): Promise<Run> {
    const run = await this.getRun(runId);
    if (run.info.lifecycle_stage !== 'active')
      throw trackingErrors.runNotActive(run.info.run_id, run.info.lifecycle_stage);
    return run;
  }

  private checkExperimentTag(t: KeyValue): void {
    validateKey('tag', t.key);
    if (t.key.length > LIMITS.experimentTagKeyLength)
      throw new CairnError('INVALID_PARAMETER_VALUE', `Tag key '${t.key}' is too long`);
    if (typeof t.value !== 'string')
      throw new CairnError('INVALID_PARAMETER_VALUE', `Tag '${t.key}' must have a string value`);
    validateTagValue(t.key, t.value, LIMITS.experimentTagValueLength);
  }
}

function checkViewType(v: ViewType | undefined): ViewType {
  if (v === undefined) return 'ACTIVE_ONLY';
  if (!VIEW_TYPES.includes(v)) {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Invalid view type '${String(v)}'. Expected one of ${VIEW_TYPES.join(', ')}.`,
    );
  }
  return v;
}

function checkRunName(name: string): void {
  if (typeof name !== 'string' || name.length > LIMITS.runNameLength) {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Run name must be a string of at most ${LIMITS.runNameLength} characters.`,
    );
  }
}

const ARTIFACT_SCHEMES = ['file:', 's3:', 'mlflow-artifacts:'];

function checkArtifactLocation(location: string): void {
  const scheme = /^([a-z][\w+.-]*:)/i.exec(location)?.[1]?.toLowerCase();
  if (scheme === undefined ? !location.startsWith('/') : !ARTIFACT_SCHEMES.includes(scheme)) {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Unsupported artifact location '${location}'. Use an absolute path or one of the schemes ${ARTIFACT_SCHEMES.join(', ')}.`,
    );
  }
  if (location.includes('..') || location.includes('\0')) {
    throw new CairnError('INVALID_PARAMETER_VALUE', `Invalid artifact location '${location}'.`);
  }
}

function dedupeTags(tags: KeyValue[]): KeyValue[] {
  const byKey = new Map<string, string>();
  for (const t of tags) byKey.set(t.key, t.value);
  return [...byKey].map(([key, value]) => ({ key, value }));
}
