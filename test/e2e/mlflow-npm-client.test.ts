import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

// The third-party `mlflow` npm package (an MLflow REST client for Node.js, not written here).
const MLflow = createRequire(import.meta.url)('mlflow') as new (o: { endpoint: string }) => MlflowClient;

// biome-ignore lint/suspicious/noExplicitAny: the client's responses are read by shape in the assertions.
type Json = any;
type Call = (args: Record<string, unknown>) => Promise<Record<string, Json>>;
interface MlflowClient {
  Experiments: {
    create: Call;
    get: Call;
    list: (a?: Record<string, unknown>) => Promise<Record<string, Json>>;
    update: Call;
    delete: Call;
    restore: Call;
  };
  Runs: {
    create: Call;
    get: Call;
    search: Call;
    update: Call;
    delete: Call;
    restore: Call;
    logMetric: Call;
    logParameter: Call;
    setTag: Call;
    deleteTag: Call;
    logBatch: Call;
  };
  Metrics: { getHistory: Call };
  Artifacts: { list: Call };
}

describe('cairn server driven by the mlflow npm client', () => {
  let s: TestServer;
  let client: MlflowClient;
  beforeAll(async () => {
    s = await startTestServer();
    client = new MLflow({ endpoint: s.url });
    vi.spyOn(console, 'log').mockImplementation(() => {}); // the client prints every request body
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await s.stop();
  });

  it('runs a whole tracking session', async () => {
    const { experiment_id } = await client.Experiments.create({ name: 'npm-client' });
    expect(experiment_id).toMatch(/^\d+$/);
    const { experiment } = await client.Experiments.get({ experiment_id });
    expect(experiment).toMatchObject({ name: 'npm-client', lifecycle_stage: 'active' });
    const { experiments } = await client.Experiments.list();
    expect(experiments.map((e: { name: string }) => e.name)).toEqual(
      expect.arrayContaining(['Default', 'npm-client']),
    );
    await client.Experiments.update({ experiment_id, new_name: 'npm-client-v2' });
    expect((await client.Experiments.get({ experiment_id })).experiment.name).toBe('npm-client-v2');

    const start = Date.now();
    const { run } = await client.Runs.create({
      experiment_id,
      start_time: start,
      tags: [
        { key: 'mlflow.runName', value: 'npm-run' },
        { key: 'mlflow.user', value: 'node' },
      ],
    });
    const run_id: string = run.info.run_id;
    expect(run.info).toMatchObject({
      run_name: 'npm-run',
      status: 'RUNNING',
      start_time: start,
      artifact_uri: `mlflow-artifacts:/${experiment_id}/${run_id}/artifacts`,
    });

    await client.Runs.logParameter({ run_id, key: 'lr', value: '0.1' });
    await client.Runs.logMetric({ run_id, key: 'loss', value: 0.5, timestamp: start, step: 0 });
    await client.Runs.logBatch({
      run_id,
      metrics: [
        { key: 'loss', value: 0.25, timestamp: start + 1, step: 1 },
        { key: 'auc', value: 0.93, timestamp: start + 1, step: 1 },
      ],
      params: [{ key: 'depth', value: '6' }],
      tags: [{ key: 'stage', value: 'dev' }],
    });
    await client.Runs.setTag({ run_id, key: 'temp', value: 'x' });
    await client.Runs.deleteTag({ run_id, key: 'temp' });
    await expect(client.Runs.logParameter({ run_id, key: 'lr', value: '0.2' })).rejects.toThrow(
      /INVALID_PARAMETER_VALUE/,
    );

    const got = (await client.Runs.get({ run_id })).run;
    expect(got.data.params).toEqual([
      { key: 'depth', value: '6' },
      { key: 'lr', value: '0.1' },
    ]);
    expect(got.data.metrics).toEqual(
      expect.arrayContaining([
        { key: 'loss', value: 0.25, timestamp: start + 1, step: 1 },
        { key: 'auc', value: 0.93, timestamp: start + 1, step: 1 },
      ]),
    );
    expect(got.data.tags).toEqual(expect.arrayContaining([{ key: 'stage', value: 'dev' }]));
    expect(got.data.tags.find((t: { key: string }) => t.key === 'temp')).toBeUndefined();

    const history = await client.Metrics.getHistory({ run_id, metric_key: 'loss' });
    expect(history.metrics.map((m: { value: number }) => m.value)).toEqual([0.5, 0.25]);

    const found = await client.Runs.search({
      experiment_ids: [experiment_id],
      filter: "metrics.auc > 0.9 and params.depth = '6'",
      order_by: ['metrics.auc DESC'],
    });
    expect(found.runs.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([run_id]);
    const none = await client.Runs.search({ experiment_ids: [experiment_id], filter: 'metrics.auc < 0.5' });
    expect(none.runs).toBeUndefined(); // MLflow omits empty lists

    const put = await fetch(
      `${s.url}/api/2.0/mlflow-artifacts/artifacts/${experiment_id}/${run_id}/artifacts/config/feature_config.yaml`,
      { method: 'PUT', body: 'features: [amount]\n' },
    );
    expect(put.status).toBe(200);
    const listed = await client.Artifacts.list({ run_id, path: 'config' });
    expect(listed).toEqual({
      root_uri: got.info.artifact_uri,
      files: [{ path: 'config/feature_config.yaml', is_dir: false, file_size: 19 }],
    });

    const updated = await client.Runs.update({ run_id, status: 'FINISHED', end_time: start + 10 });
    expect(updated.run_info).toMatchObject({ status: 'FINISHED', end_time: start + 10 });
    await client.Runs.delete({ run_id });
    expect((await client.Runs.get({ run_id })).run.info.lifecycle_stage).toBe('deleted');
    await client.Runs.restore({ run_id });
    await client.Experiments.delete({ experiment_id });
    await client.Experiments.restore({ experiment_id });
  });

  it('answers like the recorded MLflow 3.11 exchange for runs/get', async () => {
    const created = await s.json('POST', '/api/2.0/mlflow/runs/create', {
      experiment_id: '0',
      run_name: 'wire-run',
      user_id: '',
      start_time: 1795685415222,
      tags: [{ key: 'mlflow.user', value: 'wire' }],
    });
    const run_id = (created.body['run'] as { info: { run_id: string } }).info.run_id;
    await s.json('POST', '/api/2.0/mlflow/runs/log-batch', {
      run_id,
      metrics: [
        { key: 'loss', value: 'NaN', timestamp: 1795685415222, step: 1 },
        { key: 'acc', value: 0.9, timestamp: 1795685415222, step: 2 },
      ],
      params: [
        { key: 'lr', value: '0.1' },
        { key: 'depth', value: '6' },
      ],
      tags: [{ key: 'stage', value: 'dev' }],
    });
    await s.json('POST', '/api/2.0/mlflow/runs/log-inputs', {
      run_id,
      datasets: [
        {
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
          dataset: {
            name: 'tx',
            digest: 'abc123',
            source_type: 'local',
            source: '{"uri": "data.parquet"}',
            schema: '{}',
            profile: '{"num_rows": 10}',
          },
        },
      ],
    });
    const { status, body } = await s.json('GET', `/api/2.0/mlflow/runs/get?run_id=${run_id}`);
    expect(status).toBe(200);
    const run = body['run'] as Record<string, Json>;
    expect(Object.keys(run).sort()).toEqual(['data', 'info', 'inputs', 'outputs']);
    expect(run['info']).toEqual({
      run_uuid: run_id,
      experiment_id: '0',
      run_name: 'wire-run',
      user_id: '',
      status: 'RUNNING',
      start_time: 1795685415222,
      artifact_uri: `mlflow-artifacts:/0/${run_id}/artifacts`,
      lifecycle_stage: 'active',
      run_id,
    });
    expect(run['data'].metrics).toEqual(
      expect.arrayContaining([
        { key: 'loss', value: 'NaN', timestamp: 1795685415222, step: 1 },
        { key: 'acc', value: 0.9, timestamp: 1795685415222, step: 2 },
      ]),
    );
    expect(run['inputs']).toEqual({
      dataset_inputs: [
        {
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
          dataset: {
            name: 'tx',
            digest: 'abc123',
            source_type: 'local',
            source: '{"uri": "data.parquet"}',
            schema: '{}',
            profile: '{"num_rows": 10}',
          },
        },
      ],
    });
    expect(run['outputs']).toEqual({});
    // The MLflow UI's prefix answers the same.
    const ajax = await s.json('GET', `/ajax-api/2.0/mlflow/runs/get?run_id=${run_id}`);
    expect(ajax.body).toEqual(body);
  });
});
