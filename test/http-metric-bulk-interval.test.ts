import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

const API = '/api/2.0/mlflow';

describe('metrics/get-history-bulk-interval (the MLflow UI charts)', () => {
  let s: TestServer;
  const runs: string[] = [];
  beforeAll(async () => {
    s = await startTestServer();
    for (let r = 0; r < 2; r++) {
      const created = await s.json('POST', `${API}/runs/create`, { experiment_id: '0' });
      const id = (created.body['run'] as { info: { run_id: string } }).info.run_id;
      runs.push(id);
      const metrics = Array.from({ length: 1000 }, (_, i) => ({
        key: 'loss',
        value: r + 1 / (i + 1),
        timestamp: i,
        step: i,
      }));
      await s.json('POST', `${API}/runs/log-batch`, { run_id: id, metrics });
    }
  });
  afterAll(async () => s.stop());

  it('samples each run evenly within the step range, tagging points with their run', async () => {
    const qs = `run_ids=${runs[0]}&run_ids=${runs[1]}&metric_key=loss&start_step=100&end_step=199&max_results=10`;
    const res = await s.json('GET', `${API}/metrics/get-history-bulk-interval?${qs}`);
    expect(res.status).toBe(200);
    const metrics = res.body['metrics'] as Array<{
      run_id: string;
      step: number;
      value: number;
      key: string;
    }>;
    for (const id of runs) {
      const steps = metrics.filter((m) => m.run_id === id).map((m) => m.step);
      expect(steps).toHaveLength(10);
      expect(steps[0]).toBe(100);
      expect(steps[steps.length - 1]).toBe(199);
    }
    expect(metrics[0]).toMatchObject({ key: 'loss', run_id: runs[0], step: 100, value: 1 / 101 });
  });

  it('rejects bad ranges and too many results', async () => {
    const bad = await s.json(
      'GET',
      `${API}/metrics/get-history-bulk-interval?run_ids=${runs[0]}&metric_key=loss&start_step=5&end_step=1`,
    );
    expect(bad).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
    const many = await s.json(
      'GET',
      `${API}/metrics/get-history-bulk-interval?run_ids=${runs[0]}&metric_key=loss&max_results=5000`,
    );
    expect(many.status).toBe(400);
  });
});
