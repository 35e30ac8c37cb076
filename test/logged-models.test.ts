import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBackends } from '../src/backends.js';
import { startServer } from '../src/server/start.js';
import { HttpTrackingStore } from '../src/tracking/http-store.js';
import { HttpLoggedModelStore } from '../src/tracking/logged-models-http-store.js';
import { LoggedModelService } from '../src/tracking/logged-models-service.js';
import { TrackingService } from '../src/tracking/service.js';
import { createTempPostgres } from './helpers/postgres.js';
import { tempDir } from './helpers/temp.js';
import { loggedModelSuite } from './logged-models.suite.js';

loggedModelSuite('sqlite', async () => {
  const tmp = await tempDir();
  const backends = await openBackends(`sqlite:///${path.join(tmp.dir, 'cairn.db')}`);
  return {
    tracking: backends.tracking,
    models: backends.loggedModels,
    close: async () => {
      await backends.close();
      await tmp.remove();
    },
  };
});

loggedModelSuite('postgresql', async () => {
  const pg = await createTempPostgres();
  const backends = await openBackends(pg.uri);
  return {
    tracking: backends.tracking,
    models: backends.loggedModels,
    close: async () => {
      await backends.close();
      await pg.drop();
    },
  };
});

interface LiveServer {
  url: string;
  close(): Promise<void>;
}

/** A live `cairn server` (startServer, as the CLI runs it) on a temporary SQLite file. */
async function startLoggedModelServer(): Promise<LiveServer> {
  const tmp = await tempDir();
  const server = await startServer({
    port: 0,
    backendStoreUri: `sqlite:///${path.join(tmp.dir, 'cairn.db')}`,
    artifactsDestination: path.join(tmp.dir, 'artifacts'),
  });
  return {
    url: server.url,
    close: async () => {
      await server.close();
      await tmp.remove();
    },
  };
}

loggedModelSuite('http (live server on sqlite)', async () => {
  const server = await startLoggedModelServer();
  const tracking = new TrackingService(new HttpTrackingStore(server.url));
  return {
    tracking,
    models: new LoggedModelService(new HttpLoggedModelStore(server.url), tracking),
    close: () => server.close(),
  };
});

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies are read by shape in the assertions below.
type Json = any;

/** The wire as MLflow's Python client speaks it (RestStore's bodies, methods and paths). */
describe('logged models on the wire', () => {
  let server: LiveServer;
  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/2.0/mlflow${p}`, {
      method,
      ...(body !== undefined
        ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
        : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, Json> };
  };

  beforeAll(async () => {
    server = await startLoggedModelServer();
  });
  afterAll(async () => server?.close());

  it('logs a model as mlflow.<flavor>.log_model does, and links it to its run', async () => {
    const exp = await api('POST', '/experiments/create', { name: `wire-${Date.now()}` });
    const experimentId = exp.body['experiment_id'] as string;
    const run = await api('POST', '/runs/create', { experiment_id: experimentId, start_time: 1 });
    const runId = run.body['run']['info']['run_id'] as string;

    const created = await api('POST', '/logged-models', {
      experiment_id: experimentId,
      name: 'model',
      source_run_id: runId,
      model_type: 'xgboost',
      params: [{ key: 'max_depth', value: '6' }],
      tags: [{ key: 'mlflow.source.name', value: 'train.py' }],
    });
    expect(created.status).toBe(200);
    const info = created.body['model']['info'];
    const id = info['model_id'] as string;
    expect(info).toMatchObject({
      experiment_id: experimentId,
      name: 'model',
      status: 'LOGGED_MODEL_PENDING',
      source_run_id: runId,
      model_type: 'xgboost',
      artifact_uri: `mlflow-artifacts:/${experimentId}/models/${id}/artifacts`,
      tags: [{ key: 'mlflow.source.name', value: 'train.py' }],
    });
    expect(typeof info['creation_timestamp_ms']).toBe('number');
    expect(created.body['model']['data']).toEqual({ params: [{ key: 'max_depth', value: '6' }] });

    expect(
      (await api('POST', '/runs/outputs', { run_id: runId, models: [{ model_id: id, step: 0 }] })).status,
    ).toBe(200);

    // The files go through the artifact proxy under the model's artifact location.
    const rel = `${experimentId}/models/${id}/artifacts/MLmodel`;
    const put = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${rel}`, {
      method: 'PUT',
      body: 'flavors: {}\n',
    });
    expect(put.status).toBe(200);
    const listed = await fetch(
      `${server.url}/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(`${experimentId}/models/${id}/artifacts`)}`,
    );
    expect(((await listed.json()) as { files: { path: string }[] }).files.map((f) => f.path)).toEqual([
      'MLmodel',
    ]);

    const finalized = await api('PATCH', `/logged-models/${id}`, {
      model_id: id,
      status: 'LOGGED_MODEL_READY',
    });
    expect(finalized.body['model']['info']['status']).toBe('LOGGED_MODEL_READY');
    // protobuf JSON may carry enums as numbers.
    expect((await api('PATCH', `/logged-models/${id}`, { model_id: id, status: 2 })).status).toBe(200);

    const tagged = await api('PATCH', `/logged-models/${id}/tags`, {
      model_id: id,
      tags: [{ key: 'mlflow.modelVersions', value: '[{"name": "fraud", "version": 1}]' }],
    });
    expect(tagged.status).toBe(200);
    expect(tagged.body['model']['info']['tags']).toContainEqual({
      key: 'mlflow.modelVersions',
      value: '[{"name": "fraud", "version": 1}]',
    });
    expect(
      (
        await api('POST', `/logged-models/${id}/params`, {
          model_id: id,
          params: [{ key: 'eta', value: '0.3' }],
        })
      ).status,
    ).toBe(200);

    const got = await api('GET', `/logged-models/${id}?model_id=${id}`);
    expect(got.body['model']['data']['params']).toEqual([
      { key: 'eta', value: '0.3' },
      { key: 'max_depth', value: '6' },
    ]);

    const runGot = await api('GET', `/runs/get?run_id=${runId}`);
    expect(runGot.body['run']['outputs']).toEqual({ model_outputs: [{ model_id: id, step: 0 }] });

    const search = await api('POST', '/logged-models/search', {
      experiment_ids: [experimentId],
      filter: "name = 'model' AND status = 'READY'",
      order_by: [{ field_name: 'creation_time', ascending: false }],
      max_results: 50,
    });
    expect(search.body['models'].map((m: Json) => m.info.model_id)).toEqual([id]);
    expect(search.body['next_page_token']).toBeUndefined();
    expect(
      await api('POST', '/logged-models/search', { experiment_ids: [experimentId], filter: "name = 'x'" }),
    ).toEqual({
      status: 200,
      body: {},
    });

    // Tag keys with slashes travel in the path, encoded or not.
    await api('PATCH', `/logged-models/${id}/tags`, {
      tags: [
        { key: 'a/b', value: '1' },
        { key: 'c d', value: '2' },
      ],
    });
    expect(
      (await api('DELETE', `/logged-models/${id}/tags/a/b`, { model_id: id, tag_key: 'a/b' })).status,
    ).toBe(200);
    expect((await api('DELETE', `/logged-models/${id}/tags/${encodeURIComponent('c d')}`)).status).toBe(200);
    const tags = (await api('GET', `/logged-models/${id}`)).body['model']['info']['tags'];
    expect(tags.map((t: Json) => t.key)).toEqual(['mlflow.modelVersions', 'mlflow.source.name']);

    expect((await api('DELETE', `/logged-models/${id}`, { model_id: id })).status).toBe(200);
    expect(await api('GET', `/logged-models/${id}`)).toEqual({
      status: 404,
      body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Logged model with ID '${id}' not found.` },
    });
  });

  it('answers bad input with MLflow error codes and statuses', async () => {
    const missing = await api('POST', '/logged-models', { name: 'x' });
    expect(missing).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
    expect(missing.body['message']).toContain("'experiment_id'");
    expect((await api('GET', '/logged-models/not-an-id')).body['error_code']).toBe('INVALID_PARAMETER_VALUE');
    const model = (await api('POST', '/logged-models', { experiment_id: '0' })).body['model']['info'];
    const badStatus = await api('PATCH', `/logged-models/${model.model_id}`, { status: 'DONE' });
    expect(badStatus).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
    const pending = await api('PATCH', `/logged-models/${model.model_id}`, {
      status: 'LOGGED_MODEL_PENDING',
    });
    expect(pending).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
    const noRun = await api('POST', '/runs/outputs', { models: [] });
    expect(noRun).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
    const unknownRun = await api('POST', '/runs/outputs', {
      run_id: '0123456789abcdef0123456789abcdef',
      models: [{ model_id: model.model_id, step: 0 }],
    });
    expect(unknownRun).toMatchObject({ status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST' } });
    const metric = await api('POST', '/logged-models/search', {
      experiment_ids: ['0'],
      filter: 'metrics.acc > 1',
    });
    expect(metric).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
    // The UI's prefix serves the same routes.
    const ajax = await fetch(`${server.url}/ajax-api/2.0/mlflow/logged-models/${model.model_id}`);
    expect(ajax.status).toBe(200);
  });
});
