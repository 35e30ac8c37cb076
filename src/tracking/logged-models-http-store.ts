import { CairnError } from '../core/errors.js';
import { restCall } from '../store/rest-client.js';
import type { LoggedModelSearch, LoggedModelStore, NewLoggedModel } from './logged-models-store.js';
import type { LoggedModel, LoggedModelStatus } from './logged-models-types.js';
import { loggedModelFromWire } from './logged-models-wire.js';
import type { KeyValue, ModelOutput, Page } from './types.js';

type Body = Record<string, unknown>;
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * The logged-model port over MLflow's REST protocol, for a remote Cairn (or MLflow 3) server: the
 * calls MLflow's RestStore makes for `mlflow.*.log_model`.
 */
export class HttpLoggedModelStore implements LoggedModelStore {
  private readonly base: string;

  constructor(
    serverUrl: string,
    private readonly headers: Record<string, string> = {},
  ) {
    this.base = `${serverUrl.replace(/\/+$/, '')}/api/2.0/mlflow`;
  }

  async createLoggedModel(input: NewLoggedModel): Promise<LoggedModel> {
    const res = await this.call('POST', '/logged-models', {
      experiment_id: input.experimentId,
      name: input.name,
      ...(input.modelType !== undefined ? { model_type: input.modelType } : {}),
      ...(input.sourceRunId !== undefined ? { source_run_id: input.sourceRunId } : {}),
      ...(input.params.length > 0 ? { params: input.params } : {}),
      ...(input.tags.length > 0 ? { tags: input.tags } : {}),
    });
    return loggedModelFromWire(res['model']);
  }

  async getLoggedModel(modelId: string): Promise<LoggedModel | undefined> {
    try {
      const res = await this.call('GET', modelPath(modelId), { model_id: modelId });
      return loggedModelFromWire(res['model']);
    } catch (e) {
      if (e instanceof CairnError && e.code === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw e;
    }
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<void> {
    await this.call('PATCH', modelPath(modelId), { model_id: modelId, status });
  }

  async deleteLoggedModel(modelId: string): Promise<void> {
    await this.call('DELETE', modelPath(modelId), { model_id: modelId });
  }

  async setLoggedModelTags(modelId: string, tags: KeyValue[]): Promise<void> {
    await this.call('PATCH', `${modelPath(modelId)}/tags`, { model_id: modelId, tags });
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    await this.call('DELETE', `${modelPath(modelId)}/tags/${encodeURIComponent(key)}`, {
      model_id: modelId,
      tag_key: key,
    });
  }

  async logLoggedModelParams(modelId: string, params: KeyValue[]): Promise<void> {
    await this.call('POST', `${modelPath(modelId)}/params`, { model_id: modelId, params });
  }

  async searchLoggedModels(q: LoggedModelSearch): Promise<Page<LoggedModel>> {
    const res = await this.call('POST', '/logged-models/search', {
      experiment_ids: q.experimentIds,
      max_results: q.maxResults,
      ...(q.filterText ? { filter: q.filterText } : {}),
      ...(q.orderByRaw.length > 0 ? { order_by: q.orderByRaw } : {}),
      ...(q.datasets.length > 0 ? { datasets: q.datasets } : {}),
      ...(q.pageToken ? { page_token: q.pageToken } : {}),
    });
    const items = (Array.isArray(res['models']) ? res['models'] : []).map(loggedModelFromWire);
    const token = res['next_page_token'];
    return typeof token === 'string' && token !== '' ? { items, nextPageToken: token } : { items };
  }

  async logOutputs(runId: string, outputs: ModelOutput[]): Promise<void> {
    await this.call('POST', '/runs/outputs', { run_id: runId, models: outputs });
  }

  /** One REST call (src/store/rest-client.ts). */
  private call(method: Method, path: string, body: Body): Promise<Body> {
    return restCall(this.base, this.headers, method, path, body);
  }
}

const modelPath = (modelId: string): string => `/logged-models/${encodeURIComponent(modelId)}`;
