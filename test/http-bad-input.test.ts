import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listTree, startTestServer, type TestServer } from './helpers/server.js';

const API = '/api/2.0/mlflow';

describe('REST API: bad input gets MLflow error codes and changes nothing', () => {
  let s: TestServer;
  let runId: string;
  beforeAll(async () => {
    s = await startTestServer();
    const created = await s.json('POST', `${API}/runs/create`, { experiment_id: '0' });
    runId = (created.body['run'] as { info: { run_id: string } }).info.run_id;
  });
  afterAll(async () => s.stop());

  const runData = async () =>
    (await s.json('GET', `${API}/runs/get?run_id=${runId}`)).body['run'] as Record<
      string,
      Record<string, unknown>
    >;

  it('answers malformed JSON with 400 BAD_REQUEST', async () => {
    const res = await s.json('POST', `${API}/runs/log-batch`, '{"run_id": "x", metrics: [');
    expect(res.status).toBe(400);
    expect(res.body['error_code']).toBe('BAD_REQUEST');
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(js|ts):\d+/);
  });

  it('answers wrong types with INVALID_PARAMETER_VALUE naming the field', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['/experiments/create', { name: 42 }, 'name'],
      ['/experiments/create', {}, 'name'],
      ['/runs/log-batch', { run_id: runId, metrics: 'lots' }, 'metrics'],
      [
        '/runs/log-batch',
        { run_id: runId, metrics: [{ key: 'a', value: 'high', timestamp: 1 }] },
        'metrics[0].value',
      ],
      ['/runs/log-batch', { run_id: runId, metrics: [{ key: 'a', value: 1 }] }, 'metrics[0].timestamp'],
      ['/runs/log-batch', { run_id: runId, params: [{ key: 'a', value: { nested: true } }] }, 'params'],
      ['/runs/log-metric', { run_id: runId, key: 'a', value: 1, timestamp: 1.5 }, 'timestamp'],
      ['/runs/update', { run_id: runId, status: 'DONE' }, 'status'],
      ['/runs/search', { experiment_ids: '0' }, 'experiment_ids'],
    ];
    for (const [route, body, field] of cases) {
      const res = await s.json('POST', API + route, body);
      expect(res.status, route).toBe(400);
      expect(res.body['error_code'], route).toBe('INVALID_PARAMETER_VALUE');
      expect(String(res.body['message']), route).toContain(field);
    }
    const data = await runData();
    expect(data['data']).toEqual({ tags: expect.any(Array) });
  });

  it('rejects an over-limit batch whole, with MLflow message', async () => {
    const params = Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'v' }));
    const metrics = [{ key: 'ok', value: 1, timestamp: 1, step: 0 }];
    const res = await s.json('POST', `${API}/runs/log-batch`, { run_id: runId, params, metrics });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      message:
        'A batch logging request can contain at most 100 params. Got 101 params. Please split up params across multiple requests and try again.',
    });
    const data = await runData();
    expect(data['data']!['metrics']).toBeUndefined();
    expect(data['data']!['params']).toBeUndefined();
  });

  it('rejects a log-batch body over 1 MB', async () => {
    // Within every count and length limit, but 1.4 MB in all.
    const tags = Array.from({ length: 100 }, (_, i) => ({ key: `t${i}`, value: 'x'.repeat(8000) }));
    const params = Array.from({ length: 100 }, (_, i) => ({ key: `p${i}`, value: 'y'.repeat(6000) }));
    const res = await s.json('POST', `${API}/runs/log-batch`, { run_id: runId, tags, params });
    expect(res.status).toBe(413);
    expect(res.body['error_code']).toBe('REQUEST_PAYLOAD_TOO_LARGE');
  });

  it('answers unknown ids with RESOURCE_DOES_NOT_EXIST (404)', async () => {
    const cases: Array<[string, string, unknown?]> = [
      ['GET', `${API}/runs/get?run_id=0123456789abcdef0123456789abcdef`],
      ['GET', `${API}/experiments/get?experiment_id=424242`],
      ['GET', `${API}/experiments/get-by-name?experiment_name=nope`],
      [
        'POST',
        `${API}/runs/log-parameter`,
        { run_id: 'feedfacefeedfacefeedfacefeedface', key: 'a', value: 'b' },
      ],
      ['GET', `${API}/metrics/get-history?run_id=feedfacefeedfacefeedfacefeedface&metric_key=a`],
    ];
    for (const [method, url, body] of cases) {
      const res = await s.json(method, url, body);
      expect(res.status, url).toBe(404);
      expect(res.body['error_code'], url).toBe('RESOURCE_DOES_NOT_EXIST');
    }
  });

  it('answers unknown endpoints with ENDPOINT_NOT_FOUND', async () => {
    const res = await s.json('GET', `${API}/runs/teleport`);
    expect(res).toMatchObject({ status: 404, body: { error_code: 'ENDPOINT_NOT_FOUND' } });
  });

  it('keeps hostile artifact paths out, reading and writing nothing outside the root', async () => {
    await writeFile(path.join(s.dir, 'secret.txt'), 'top secret');
    const before = await listTree(s.dir);
    const hostile = [
      '../secret.txt',
      '%2e%2e/secret.txt',
      '%2E%2E%2Fsecret.txt',
      '%252e%252e%252fsecret.txt',
      '..%2fsecret.txt',
      'a/..%5c..%5csecret.txt',
      '..\\secret.txt',
      'x/%00/y',
      '%2Fetc%2Fpasswd',
      'C:%5Cwindows',
    ];
    for (const p of hostile) {
      for (const method of ['GET', 'PUT', 'DELETE'] as const) {
        const res = await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts/${p}`, {
          method,
          ...(method === 'PUT' ? { body: 'pwned' } : {}),
        });
        const text = await res.text();
        expect([400, 404], `${method} ${p}`).toContain(res.status);
        expect(text, `${method} ${p}`).not.toContain('top secret');
      }
      const listed = await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts?path=${p}`);
      expect(listed.status, `list ${p}`).toBe(400);
      const got = await fetch(`${s.url}/get-artifact?run_uuid=${runId}&path=${p}`);
      expect(got.status, `get-artifact ${p}`).toBe(400);
      expect(await got.text()).not.toContain('top secret');
    }
    // An absolute path in the URL is normalised by the URL parser into the route; still refused.
    const abs = await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts//etc/passwd`);
    expect(abs.status).toBe(400);
    expect(await listTree(s.dir)).toEqual(before);
  });
});
