import { CairnError } from '../core/errors.js';
import { optional, restCall } from '../store/rest-client.js';
import type { KeyValue, Page } from '../tracking/types.js';
import type { NewModelVersion, NewRegisteredModel, RegistrySearch, RegistryStore } from './store.js';
import type { ModelVersion, RegisteredModel, Stage } from './types.js';
import { modelVersionFromWire, registeredModelFromWire } from './wire.js';

type Body = Record<string, unknown>;
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * The registry port over MLflow's REST protocol: the SDK's adapter for a remote Cairn (or MLflow)
 * server. The server applies the rules again and records the events.
 */
export class HttpRegistryStore implements RegistryStore {
  readonly remote = true;
  private readonly base: string;

  constructor(
    serverUrl: string,
    private readonly headers: Record<string, string> = {},
  ) {
    this.base = `${serverUrl.replace(/\/+$/, '')}/api/2.0/mlflow`;
  }

  async createRegisteredModel(input: NewRegisteredModel): Promise<RegisteredModel> {
    const res = await this.call('POST', '/registered-models/create', {
      name: input.name,
      description: input.description,
      ...(input.tags.length > 0 ? { tags: input.tags } : {}),
    });
    return registeredModelFromWire(res['registered_model']);
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel | undefined> {
    const res = await optional(this.call('GET', '/registered-models/get', { name }));
    return res ? registeredModelFromWire(res['registered_model']) : undefined;
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    const res = await this.call('POST', '/registered-models/rename', { name, new_name: newName });
    return registeredModelFromWire(res['registered_model']);
  }

  async updateRegisteredModel(name: string, description: string): Promise<RegisteredModel> {
    const res = await this.call('PATCH', '/registered-models/update', { name, description });
    return registeredModelFromWire(res['registered_model']);
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    await this.call('DELETE', '/registered-models/delete', { name });
  }

  async searchRegisteredModels(q: RegistrySearch): Promise<Page<RegisteredModel>> {
    const res = await this.call('GET', '/registered-models/search', searchParams(q));
    return page(list(res['registered_models']).map(registeredModelFromWire), res);
  }

  async setRegisteredModelTags(name: string, tags: KeyValue[]): Promise<void> {
    for (const t of tags)
      await this.call('POST', '/registered-models/set-tag', { name, key: t.key, value: t.value });
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    await this.call('DELETE', '/registered-models/delete-tag', { name, key });
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.call('POST', '/registered-models/alias', { name, alias, version });
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.call('DELETE', '/registered-models/alias', { name, alias });
  }

  async getVersionByAlias(name: string, alias: string): Promise<ModelVersion | undefined> {
    try {
      const res = await this.call('GET', '/registered-models/alias', { name, alias });
      return modelVersionFromWire(res['model_version']);
    } catch (e) {
      // MLflow answers an unset alias with INVALID_PARAMETER_VALUE and its own wording.
      const unset =
        e instanceof CairnError &&
        (e.code === 'RESOURCE_DOES_NOT_EXIST' || /^Registered model alias .* not found\.?$/.test(e.message));
      if (unset) return undefined;
      throw e;
    }
  }

  async getLatestVersions(name: string, stages: readonly Stage[]): Promise<ModelVersion[]> {
    const res = await this.call('POST', '/registered-models/get-latest-versions', {
      name,
      stages: [...stages],
    });
    return list(res['model_versions']).map(modelVersionFromWire);
  }

  async createModelVersion(input: NewModelVersion): Promise<ModelVersion> {
    const res = await this.call('POST', '/model-versions/create', {
      name: input.name,
      source: input.source,
      run_id: input.runId,
      run_link: input.runLink,
      description: input.description,
      ...(input.tags.length > 0 ? { tags: input.tags } : {}),
      ...(input.modelId ? { model_id: input.modelId } : {}),
    });
    return modelVersionFromWire(res['model_version']);
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion | undefined> {
    const res = await optional(this.call('GET', '/model-versions/get', { name, version }));
    return res ? modelVersionFromWire(res['model_version']) : undefined;
  }

  async updateModelVersion(name: string, version: string, description: string): Promise<ModelVersion> {
    const res = await this.call('PATCH', '/model-versions/update', { name, version, description });
    return modelVersionFromWire(res['model_version']);
  }

  async transitionStage(
    name: string,
    version: string,
    stage: Stage,
    archiveExisting: boolean,
  ): Promise<ModelVersion> {
    const res = await this.call('POST', '/model-versions/transition-stage', {
      name,
      version,
      stage,
      archive_existing_versions: archiveExisting,
    });
    return modelVersionFromWire(res['model_version']);
  }

  async deleteModelVersion(name: string, version: string): Promise<void> {
    await this.call('DELETE', '/model-versions/delete', { name, version });
  }

  async searchModelVersions(q: RegistrySearch): Promise<Page<ModelVersion>> {
    const res = await this.call('GET', '/model-versions/search', searchParams(q));
    return page(list(res['model_versions']).map(modelVersionFromWire), res);
  }

  async setModelVersionTags(name: string, version: string, tags: KeyValue[]): Promise<void> {
    for (const t of tags)
      await this.call('POST', '/model-versions/set-tag', { name, version, key: t.key, value: t.value });
  }

  async deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    await this.call('DELETE', '/model-versions/delete-tag', { name, version, key });
  }

  async getDownloadUri(name: string, version: string): Promise<string | undefined> {
    const res = await optional(this.call('GET', '/model-versions/get-download-uri', { name, version }));
    return res ? String(res['artifact_uri'] ?? '') : undefined;
  }

  async close(): Promise<void> {}

  /** One REST call (src/store/rest-client.ts). */
  private call(method: Method, path: string, body: Body): Promise<Body> {
    return restCall(this.base, this.headers, method, path, body);
  }
}

function searchParams(q: RegistrySearch): Body {
  return {
    max_results: q.maxResults,
    ...(q.filterText ? { filter: q.filterText } : {}),
    ...(q.orderByText.length > 0 ? { order_by: q.orderByText } : {}),
    ...(q.pageToken ? { page_token: q.pageToken } : {}),
  };
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function page<T>(items: T[], res: Body): Page<T> {
  const token = res['next_page_token'];
  return typeof token === 'string' && token !== '' ? { items, nextPageToken: token } : { items };
}
