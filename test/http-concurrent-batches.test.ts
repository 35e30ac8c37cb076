import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

const API = '/api/2.0/mlflow';

describe('concurrent log-batch requests (group-committed by the writer thread)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => s.stop());

  it('writes every valid batch whole and no part of a failing one', async () => {
    const runs: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await s.json('POST', `${API}/runs/create`, { experiment_id: '0' });
      const id = (res.body['run'] as { info: { run_id: string } }).info.run_id;
      runs.push(id);
      await s.json('POST', `${API}/runs/log-parameter`, { run_id: id, key: 'seed', value: '1' });
    }
    const requests = Array.from({ length: 60 }, (_, i) => {
      const runId = runs[i % 4]!;
      const failing = i % 5 === 0;
      const metrics = Array.from({ length: 500 }, (_, j) => ({
        key: `m${j % 5}`,
        value: j,
        timestamp: i,
        step: i * 1000 + j,
      }));
      const params = failing ? [{ key: 'seed', value: '2' }] : [{ key: `p${i}`, value: 'v' }];
      return s
        .json('POST', `${API}/runs/log-batch`, { run_id: runId, metrics, params })
        .then((r) => ({ i, runId, failing, status: r.status }));
    });
    const results = await Promise.all(requests);
    for (const r of results) expect(r.status, `request ${r.i}`).toBe(r.failing ? 400 : 200);
    for (const runId of runs) {
      const ok = results.filter((r) => r.runId === runId && !r.failing);
      const history = await s.json(
        'GET',
        `${API}/metrics/get-history?run_id=${runId}&metric_key=m0&max_results=25000`,
      );
      expect((history.body['metrics'] as unknown[]).length).toBe(ok.length * 100);
      const run = await s.json('GET', `${API}/runs/get?run_id=${runId}`);
      const params = (
        (run.body['run'] as { data: { params: Array<{ key: string; value: string }> } }).data.params ?? []
      ).map((p) => p.key);
      expect(params.sort()).toEqual(['seed', ...ok.map((r) => `p${r.i}`)].sort());
    }
  });
});
