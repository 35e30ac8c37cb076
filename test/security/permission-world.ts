import type { AuthTestServer } from './auth-fixture.js';

export type Level = 'READ' | 'EDIT' | 'MANAGE';
export type Creds = { username: string; password: string };
export const API = '/api/2.0/mlflow';

/** The world one owner builds: an experiment with a run, metrics, artifacts, a logged model, and a registered model. */
export async function buildWorld(srv: AuthTestServer, owner: Creds) {
  const ok = async (method: string, path: string, body?: unknown) => {
    const r = await srv.call(owner, method, path, body);
    if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const exp = (await ok('POST', `${API}/experiments/create`, { name: 'matrix-exp' }))[
    'experiment_id'
  ] as string;
  const run = (await ok('POST', `${API}/runs/create`, { experiment_id: exp }))['run'] as {
    info: { run_id: string };
  };
  const runId = run.info.run_id;
  await ok('POST', `${API}/runs/log-batch`, {
    run_id: runId,
    metrics: [{ key: 'loss', value: 1, timestamp: 1, step: 0 }],
  });
  const art = `/api/2.0/mlflow-artifacts/artifacts/${exp}/${runId}/artifacts`;
  await ok('PUT', `${art}/notes.txt`, Buffer.from('hello'));
  await ok('PUT', `${art}/model/MLmodel`, Buffer.from('flavors: {}\n'));
  const lm = (
    await ok('POST', `${API}/logged-models`, { experiment_id: exp, name: 'lm', source_run_id: runId })
  )['model'] as { info: { model_id: string } };
  await ok('POST', `${API}/registered-models/create`, { name: 'matrix-model' });
  await ok('POST', `${API}/model-versions/create`, {
    name: 'matrix-model',
    source: `runs:/${runId}/model`,
    run_id: runId,
  });
  await ok('POST', `${API}/registered-models/alias`, {
    name: 'matrix-model',
    alias: 'champion',
    version: '1',
  });
  return { exp, runId, modelId: lm.info.model_id, model: 'matrix-model' };
}

export type World = Awaited<ReturnType<typeof buildWorld>>;

/** Representative routes of every family, with the level each needs. */
export function routes(
  w: World,
): Array<{ family: string; level: Level; method: string; path: string; body?: unknown }> {
  const art = `/api/2.0/mlflow-artifacts/artifacts/${w.exp}/${w.runId}/artifacts`;
  const m = w.model;
  return [
    {
      family: 'experiments',
      level: 'READ',
      method: 'GET',
      path: `${API}/experiments/get?experiment_id=${w.exp}`,
    },
    {
      family: 'experiments',
      level: 'READ',
      method: 'GET',
      path: `${API}/experiments/get-by-name?experiment_name=matrix-exp`,
    },
    {
      family: 'experiments',
      level: 'EDIT',
      method: 'POST',
      path: `${API}/experiments/set-experiment-tag`,
      body: { experiment_id: w.exp, key: 'k', value: 'v' },
    },
    {
      family: 'experiments',
      level: 'MANAGE',
      method: 'GET',
      path: `${API}/experiments/permissions/get?experiment_id=${w.exp}&username=owner`,
    },
    { family: 'runs', level: 'READ', method: 'GET', path: `${API}/runs/get?run_id=${w.runId}` },
    {
      family: 'runs',
      level: 'EDIT',
      method: 'POST',
      path: `${API}/runs/set-tag`,
      body: { run_id: w.runId, key: 'k', value: 'v' },
    },
    {
      family: 'runs',
      level: 'EDIT',
      method: 'POST',
      path: `${API}/runs/create`,
      body: { experiment_id: w.exp },
    },
    {
      family: 'metrics',
      level: 'READ',
      method: 'GET',
      path: `${API}/metrics/get-history?run_id=${w.runId}&metric_key=loss&max_results=10`,
    },
    {
      family: 'metrics',
      level: 'READ',
      method: 'GET',
      path: `${API}/metrics/get-history-bulk-interval?run_ids=${w.runId}&metric_key=loss`,
    },
    {
      family: 'metrics',
      level: 'EDIT',
      method: 'POST',
      path: `${API}/runs/log-batch`,
      body: { run_id: w.runId, metrics: [{ key: 'acc', value: 0.5, timestamp: 2, step: 1 }] },
    },
    { family: 'artifacts', level: 'READ', method: 'GET', path: `${API}/artifacts/list?run_id=${w.runId}` },
    { family: 'artifacts', level: 'READ', method: 'GET', path: `${art}/notes.txt` },
    {
      family: 'artifacts',
      level: 'READ',
      method: 'GET',
      path: `/api/2.0/mlflow-artifacts/artifacts?path=${w.exp}/${w.runId}/artifacts`,
    },
    {
      family: 'artifacts',
      level: 'READ',
      method: 'GET',
      path: `/get-artifact?path=notes.txt&run_uuid=${w.runId}`,
    },
    { family: 'artifacts', level: 'EDIT', method: 'PUT', path: `${art}/written.txt`, body: Buffer.from('x') },
    {
      family: 'registered models',
      level: 'READ',
      method: 'GET',
      path: `${API}/registered-models/get?name=${m}`,
    },
    {
      family: 'registered models',
      level: 'READ',
      method: 'POST',
      path: `${API}/registered-models/get-latest-versions`,
      body: { name: m },
    },
    {
      family: 'registered models',
      level: 'EDIT',
      method: 'POST',
      path: `${API}/registered-models/set-tag`,
      body: { name: m, key: 'k', value: 'v' },
    },
    {
      family: 'registered models',
      level: 'MANAGE',
      method: 'GET',
      path: `${API}/registered-models/permissions/get?name=${m}&username=owner`,
    },
    {
      family: 'model versions',
      level: 'READ',
      method: 'GET',
      path: `${API}/model-versions/get?name=${m}&version=1`,
    },
    {
      family: 'model versions',
      level: 'READ',
      method: 'GET',
      path: `${API}/model-versions/get-download-uri?name=${m}&version=1`,
    },
    {
      family: 'model versions',
      level: 'EDIT',
      method: 'POST',
      path: `${API}/model-versions/set-tag`,
      body: { name: m, version: '1', key: 'k', value: 'v' },
    },
    {
      family: 'aliases',
      level: 'READ',
      method: 'GET',
      path: `${API}/registered-models/alias?name=${m}&alias=champion`,
    },
    {
      family: 'aliases',
      level: 'EDIT',
      method: 'POST',
      path: `${API}/registered-models/alias`,
      body: { name: m, alias: 'champion', version: '1' },
    },
    { family: 'logged models', level: 'READ', method: 'GET', path: `${API}/logged-models/${w.modelId}` },
    {
      family: 'logged models',
      level: 'EDIT',
      method: 'PATCH',
      path: `${API}/logged-models/${w.modelId}/tags`,
      body: { tags: [{ key: 'k', value: 'v' }] },
    },
    {
      family: 'lineage',
      level: 'READ',
      method: 'GET',
      path: `/api/2.0/cairn/model-versions/lineage?name=${m}&version=1`,
    },
  ];
}
