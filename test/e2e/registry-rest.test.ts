import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';
import { startRegistryServer } from '../registry-store.suite.js';

const API = '/api/2.0/mlflow';

/** `GET /api/2.0/mlflow/registered-models/alias` as recorded from MLflow 3.11 (mlflow-protocol.md). */
const RECORDED_ALIAS_ANSWER = {
  model_version: {
    name: 'wire-model-1795685415222',
    version: '1',
    creation_timestamp: 1795685415904,
    last_updated_timestamp: 1795685415904,
    current_stage: 'None',
    description: '',
    source: 'runs:/6072f06ddeb4478fbb41483f0d2e3f3d/model',
    run_id: '6072f06ddeb4478fbb41483f0d2e3f3d',
    status: 'READY',
    run_link: '',
    aliases: ['champion'],
  },
};

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field.
type Json = Record<string, any>;

describe('registry REST API: MLflow wire shapes and status codes', () => {
  let server: Awaited<ReturnType<typeof startRegistryServer>>;
  let remove: () => Promise<void>;
  let runId: string;
  const name = `wire-model-${Date.now()}`;

  const call = async (
    method: string,
    route: string,
    body?: unknown,
  ): Promise<{ status: number; body: Json }> => {
    const res = await fetch(server.url + route, {
      method,
      ...(body !== undefined
        ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
        : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
  };
  const qs = (params: Record<string, string | string[]>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const item of [v].flat()) q.append(k, item);
    return `?${q}`;
  };

  beforeAll(async () => {
    const tmp = await tempDir();
    remove = tmp.remove;
    server = await startRegistryServer(
      `sqlite:///${path.join(tmp.dir, 'cairn.db')}`,
      path.join(tmp.dir, 'artifacts'),
    );
    const run = await call('POST', `${API}/runs/create`, { experiment_id: '0' });
    runId = run.body['run'].info.run_id;
  });
  afterAll(async () => {
    await server?.close();
    await remove?.();
  });

  it('creates a registered model and answers a duplicate with RESOURCE_ALREADY_EXISTS', async () => {
    const created = await call('POST', `${API}/registered-models/create`, { name });
    expect(created.status).toBe(200);
    expect(Object.keys(created.body['registered_model'])).toEqual([
      'name',
      'creation_timestamp',
      'last_updated_timestamp',
      'description',
    ]);
    expect(created.body['registered_model']).toMatchObject({ name, description: '' });
    expect(typeof created.body['registered_model'].creation_timestamp).toBe('number');

    const dup = await call('POST', `${API}/registered-models/create`, { name });
    expect(dup.status).toBe(400);
    expect(dup.body).toEqual({
      error_code: 'RESOURCE_ALREADY_EXISTS',
      message: `Registered Model (name=${name}) already exists.`,
    });
  });

  it('creates a version and serves it by alias in exactly the recorded shape', async () => {
    const created = await call('POST', `${API}/model-versions/create`, {
      name,
      source: `runs:/${runId}/model`,
      run_id: runId,
    });
    expect(created.status).toBe(200);
    const mv = created.body['model_version'];
    expect(mv).toMatchObject({ name, version: '1', current_stage: 'None', status: 'READY', run_link: '' });
    expect(mv['aliases']).toBeUndefined(); // an empty list is omitted, as protobuf JSON does

    expect(
      await call('POST', `${API}/registered-models/alias`, { name, alias: 'champion', version: '1' }),
    ).toEqual({
      status: 200,
      body: {},
    });
    const byAlias = await call('GET', `${API}/registered-models/alias${qs({ name, alias: 'champion' })}`);
    expect(byAlias.status).toBe(200);
    const got = byAlias.body['model_version'];
    const recorded = RECORDED_ALIAS_ANSWER.model_version;
    expect(Object.keys(byAlias.body)).toEqual(['model_version']);
    expect(Object.keys(got)).toEqual(Object.keys(recorded));
    for (const [k, v] of Object.entries(recorded)) expect(typeof got[k], k).toBe(typeof v);
    expect(got).toMatchObject({
      name,
      version: '1',
      source: `runs:/${runId}/model`,
      run_id: runId,
      current_stage: 'None',
      status: 'READY',
      description: '',
      run_link: '',
      aliases: ['champion'],
    });
    expect(got.creation_timestamp).toBe(got.last_updated_timestamp);
  });

  it('lists aliases, tags and latest versions on the registered model', async () => {
    await call('POST', `${API}/registered-models/set-tag`, { name, key: 'team', value: 'risk' });
    const res = await call('GET', `${API}/registered-models/get${qs({ name })}`);
    expect(res.status).toBe(200);
    const rm = res.body['registered_model'];
    expect(Object.keys(rm)).toEqual([
      'name',
      'creation_timestamp',
      'last_updated_timestamp',
      'description',
      'latest_versions',
      'tags',
      'aliases',
    ]);
    expect(rm['aliases']).toEqual([{ alias: 'champion', version: '1' }]);
    expect(rm['tags']).toEqual([{ key: 'team', value: 'risk' }]);
    expect(rm['latest_versions'].map((v: Json) => v['version'])).toEqual(['1']);
  });

  it('answers unknown models, versions and aliases with MLflow codes and statuses', async () => {
    const missing = await call('GET', `${API}/registered-models/get${qs({ name: 'no-such-model' })}`);
    expect(missing).toEqual({
      status: 404,
      body: {
        error_code: 'RESOURCE_DOES_NOT_EXIST',
        message: 'Registered Model with name=no-such-model not found',
      },
    });
    const version = await call('GET', `${API}/model-versions/get${qs({ name, version: '9' })}`);
    expect(version.status).toBe(404);
    expect(version.body['error_code']).toBe('RESOURCE_DOES_NOT_EXIST');
    const alias = await call('GET', `${API}/registered-models/alias${qs({ name, alias: 'nobody' })}`);
    expect(alias).toEqual({
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE', message: 'Registered model alias nobody not found.' },
    });
    const badVersion = await call('GET', `${API}/model-versions/get${qs({ name, version: 'x' })}`);
    expect(badVersion.status).toBe(400);
    expect(badVersion.body['error_code']).toBe('INVALID_PARAMETER_VALUE');
    const noName = await call('POST', `${API}/registered-models/create`, {});
    expect(noName.status).toBe(400);
    expect(noName.body['message']).toMatch(/Missing value for required parameter 'name'/);
    const encoded = await call('POST', `${API}/registered-models/create`, { name: 'm%6fdel' });
    expect(encoded.status).toBe(400);
    const hostile = await call('POST', `${API}/model-versions/create`, {
      name,
      source: 'file:///etc/passwd',
    });
    expect(hostile.status).toBe(400);
    expect(hostile.body['error_code']).toBe('INVALID_PARAMETER_VALUE');
  });

  it('takes MLflow methods: PATCH updates, GET searches, DELETE with a JSON body or a query', async () => {
    const upd = await call('PATCH', `${API}/model-versions/update`, {
      name,
      version: 1,
      description: 'tuned',
    });
    expect(upd.status).toBe(200);
    expect(upd.body['model_version'].description).toBe('tuned');
    const rmUpd = await call('PATCH', `${API}/registered-models/update`, { name, description: 'scorer' });
    expect(rmUpd.body['registered_model'].description).toBe('scorer');

    await call('POST', `${API}/model-versions/create`, { name, source: `runs:/${runId}/model` });
    await call('POST', `${API}/model-versions/create`, { name, source: `runs:/${runId}/model` });
    const staged = await call('POST', `${API}/model-versions/transition-stage`, {
      name,
      version: '2',
      stage: 'production',
      archive_existing_versions: true,
    });
    expect(staged.body['model_version'].current_stage).toBe('Production');
    const latest = await call(
      'GET',
      `${API}/registered-models/get-latest-versions${qs({ name, stages: ['Production'] })}`,
    );
    expect(latest.body['model_versions'].map((v: Json) => v['version'])).toEqual(['2']);
    const latestPost = await call('POST', `${API}/registered-models/get-latest-versions`, { name });
    expect(latestPost.body['model_versions'].map((v: Json) => v['version'])).toEqual(['2', '3']); // the latest of None and of Production

    const page1 = await call(
      'GET',
      `${API}/model-versions/search${qs({ filter: `name='${name}'`, max_results: '2', order_by: ['version_number ASC'] })}`,
    );
    expect(page1.body['model_versions'].map((v: Json) => v['version'])).toEqual(['1', '2']);
    const page2 = await call(
      'GET',
      `${API}/model-versions/search${qs({ filter: `name='${name}'`, max_results: '2', order_by: ['version_number ASC'], page_token: page1.body['next_page_token'] })}`,
    );
    expect(page2.body['model_versions'].map((v: Json) => v['version'])).toEqual(['3']);
    expect(page2.body['next_page_token']).toBeUndefined();
    const models = await call('GET', `${API}/registered-models/search${qs({ filter: `name = '${name}'` })}`);
    expect(models.body['registered_models'].map((m: Json) => m['name'])).toEqual([name]);
    const none = await call(
      'GET',
      `${API}/registered-models/search${qs({ filter: "name = 'nothing-here'" })}`,
    );
    expect(none).toEqual({ status: 200, body: {} });

    const uri = await call('GET', `${API}/model-versions/get-download-uri${qs({ name, version: '1' })}`);
    expect(uri.body).toEqual({ artifact_uri: `runs:/${runId}/model` });

    expect((await call('DELETE', `${API}/model-versions/delete`, { name, version: '3' })).status).toBe(200);
    expect((await call('DELETE', `${API}/model-versions/delete${qs({ name, version: '2' })}`)).status).toBe(
      200,
    );
    const gone = await call('GET', `${API}/model-versions/get${qs({ name, version: '3' })}`);
    expect(gone.status).toBe(404);
    expect(
      (await call('DELETE', `${API}/registered-models/alias`, { name, alias: 'champion' })).body,
    ).toEqual({});
    expect((await call('DELETE', `${API}/registered-models/delete-tag`, { name, key: 'team' })).status).toBe(
      200,
    );
  });

  it('serves the same routes under /ajax-api and the lineage under /api/2.0/cairn', async () => {
    const ajax = await call('GET', `/ajax-api/2.0/mlflow/registered-models/get${qs({ name })}`);
    expect(ajax.status).toBe(200);
    const lineage = await call('GET', `/api/2.0/cairn/model-versions/lineage${qs({ name, version: '1' })}`);
    expect(lineage.status).toBe(200);
    expect(lineage.body['model_version']).toMatchObject({ name, version: '1' });
    expect(lineage.body['run'].info.run_id).toBe(runId);
    expect(lineage.body['run']).toMatchObject({ params: [], metrics: [], inputs: [] });
  });

  it('deletes a registered model with a JSON body', async () => {
    expect(await call('DELETE', `${API}/registered-models/delete`, { name })).toEqual({
      status: 200,
      body: {},
    });
    expect((await call('GET', `${API}/registered-models/get${qs({ name })}`)).status).toBe(404);
  });
});
