import { optional, restCall } from '../store/rest-client.js';
import type {
  ExperimentSearch,
  HistoryQuery,
  NewExperiment,
  NewRun,
  RunPatch,
  RunSearch,
  TrackingStore,
} from './store.js';
import type {
  DatasetInput,
  Experiment,
  KeyValue,
  LifecycleStage,
  Metric,
  Page,
  Run,
  RunBatch,
} from './types.js';
import { experimentFromWire, metricFromWire, metricToWire, runFromWire } from './wire.js';

type Body = Record<string, unknown>;

/**
 * The tracking port over MLflow's REST protocol: the SDK's adapter for a remote Cairn (or MLflow)
 * server, as MLflow's RestStore is for its client.
 */
export class HttpTrackingStore implements TrackingStore {
  private readonly base: string;

  constructor(
    serverUrl: string,
    private readonly headers: Record<string, string> = {},
  ) {
    this.base = `${serverUrl.replace(/\/+$/, '')}/api/2.0/mlflow`;
  }

  async createExperiment(input: NewExperiment): Promise<string> {
    const res = await this.call('POST', '/experiments/create', {
      name: input.name,
      ...(input.artifactLocation ? { artifact_location: input.artifactLocation } : {}),
      ...(input.tags.length > 0 ? { tags: input.tags } : {}),
    });
    return String(res['experiment_id']);
  }

  async getExperiment(experimentId: string): Promise<Experiment | undefined> {
    const res = await optional(this.call('GET', '/experiments/get', { experiment_id: experimentId }));
    return res ? experimentFromWire(res['experiment']) : undefined;
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    const res = await optional(this.call('GET', '/experiments/get-by-name', { experiment_name: name }));
    return res ? experimentFromWire(res['experiment']) : undefined;
  }

  async searchExperiments(q: ExperimentSearch): Promise<Page<Experiment>> {
    const res = await this.call('POST', '/experiments/search', {
      max_results: q.maxResults,
      view_type: q.viewType,
      ...(q.filterText ? { filter: q.filterText } : {}),
      ...(q.orderByText.length > 0 ? { order_by: q.orderByText } : {}),
      ...(q.pageToken ? { page_token: q.pageToken } : {}),
    });
    return page(list(res['experiments']).map(experimentFromWire), res);
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    await this.call('POST', '/experiments/update', { experiment_id: experimentId, new_name: newName });
  }

  async setExperimentLifecycle(experimentId: string, stage: LifecycleStage): Promise<void> {
    await this.call('POST', stage === 'deleted' ? '/experiments/delete' : '/experiments/restore', {
      experiment_id: experimentId,
    });
  }

  async setExperimentTags(experimentId: string, tags: KeyValue[]): Promise<void> {
    for (const t of tags)
      await this.call('POST', '/experiments/set-experiment-tag', { experiment_id: experimentId, ...t });
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    await this.call('POST', '/experiments/delete-experiment-tag', { experiment_id: experimentId, key });
  }

  async createRun(run: NewRun): Promise<Run> {
    const res = await this.call('POST', '/runs/create', {
      experiment_id: run.experimentId,
      user_id: run.userId,
      run_name: run.name,
      start_time: run.startTime,
      tags: run.tags,
    });
    return runFromWire(res['run']);
  }

  async getRun(runId: string): Promise<Run | undefined> {
    const res = await optional(this.call('GET', '/runs/get', { run_id: runId }));
    return res ? runFromWire(res['run']) : undefined;
  }

  async updateRun(runId: string, patch: RunPatch): Promise<void> {
    if (patch.lifecycleStage !== undefined) {
      await this.call('POST', patch.lifecycleStage === 'deleted' ? '/runs/delete' : '/runs/restore', {
        run_id: runId,
      });
    }
    if (patch.status !== undefined || patch.endTime !== undefined || patch.name !== undefined) {
      await this.call('POST', '/runs/update', {
        run_id: runId,
        ...(patch.status ? { status: patch.status } : {}),
        ...(patch.endTime !== undefined ? { end_time: patch.endTime } : {}),
        ...(patch.name ? { run_name: patch.name } : {}),
      });
    }
  }

  async logBatch(runId: string, batch: RunBatch): Promise<void> {
    await this.call('POST', '/runs/log-batch', {
      run_id: runId,
      metrics: batch.metrics.map(metricToWire),
      params: batch.params,
      tags: batch.tags,
    });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.call('POST', '/runs/delete-tag', { run_id: runId, key });
  }

  async logInputs(runId: string, inputs: DatasetInput[]): Promise<void> {
    await this.call('POST', '/runs/log-inputs', { run_id: runId, datasets: inputs });
  }

  async getMetricHistory(q: HistoryQuery): Promise<Page<Metric>> {
    const res = await this.call('GET', '/metrics/get-history', {
      run_id: q.runId,
      metric_key: q.key,
      max_results: q.maxResults,
      ...(q.pageToken ? { page_token: q.pageToken } : {}),
    });
    return page(list(res['metrics']).map(metricFromWire), res);
  }

  async searchRuns(q: RunSearch): Promise<Page<Run>> {
    const res = await this.call('POST', '/runs/search', {
      experiment_ids: q.experimentIds,
      run_view_type: q.viewType,
      max_results: q.maxResults,
      ...(q.filterText ? { filter: q.filterText } : {}),
      ...(q.orderByText.length > 0 ? { order_by: q.orderByText } : {}),
      ...(q.pageToken ? { page_token: q.pageToken } : {}),
    });
    return page(list(res['runs']).map(runFromWire), res);
  }

  async close(): Promise<void> {}

  /** One REST call (src/store/rest-client.ts). */
  private call(method: 'GET' | 'POST', path: string, body: Body): Promise<Body> {
    return restCall(this.base, this.headers, method, path, body);
  }
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function page<T>(items: T[], res: Body): Page<T> {
  const token = res['next_page_token'];
  return typeof token === 'string' && token !== '' ? { items, nextPageToken: token } : { items };
}
