import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.js';
import { BACKENDS, startSecurityServer } from './backends.js';
import { rawRequest } from './raw-http.js';

const API = '/api/2.0/mlflow';

/** Sends only a request head (no body) and returns the first answer; the server must not wait. */
function headOnly(baseUrl: string, head: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(head));
    let out = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer before the body; got: ${out}`));
    }, 5000);
    socket.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      if (out.includes('\r\n\r\n') && /"error_code"/.test(out)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(out);
      }
    });
    socket.once('error', reject);
  });
}

describe.each(BACKENDS)('limits (%s)', (backend) => {
  let s: TestServer;
  let runId: string;
  const post = (route: string, body: unknown) => s.json('POST', API + route, body);
  const expect400 = async (method: string, route: string, body: unknown, pattern?: RegExp) => {
    const res = await s.json(method, API + route, body);
    expect(res.status, `${route} ${JSON.stringify(body).slice(0, 80)}`).toBe(400);
    expect(['INVALID_PARAMETER_VALUE', 'BAD_REQUEST']).toContain(res.body['error_code']);
    if (pattern) expect(String(res.body['message'])).toMatch(pattern);
    return res;
  };
  beforeAll(async () => {
    s = await startSecurityServer(backend);
    const run = await post('/runs/create', { experiment_id: '0' });
    runId = (run.body['run'] as { info: { run_id: string } }).info.run_id;
    expect((await post('/registered-models/create', { name: 'limits-model' })).status).toBe(200);
  });
  afterAll(async () => s.stop());

  it('answers 413 from Content-Length alone, before any body is sent', async () => {
    for (const [route, size] of [
      ['/runs/log-batch', 1_000_001],
      ['/experiments/create', 16 * 1024 * 1024 + 1],
    ] as const) {
      const answer = await headOnly(
        s.url,
        `POST ${API}${route} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`,
      );
      expect(answer, route).toMatch(/^HTTP\/1\.1 413/);
      expect(answer).toContain('REQUEST_PAYLOAD_TOO_LARGE');
    }
  });

  it('answers 413 to a chunked body that grows past the limit', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const res = await new Promise<string>((resolve) => {
      const { hostname, port } = new URL(s.url);
      const socket = connect(Number(port), hostname, async () => {
        socket.write(
          `POST ${API}/runs/log-batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
        );
        for (let i = 0; i < 20 && !socket.destroyed && socket.writable; i++) {
          socket.write(`${chunk.length.toString(16)}\r\n`);
          socket.write(chunk);
          socket.write('\r\n');
          await new Promise((r) => setTimeout(r, 5));
        }
      });
      let out = '';
      socket.on('data', (d: Buffer) => {
        out += d.toString('latin1');
      });
      // The server answers and closes while we still send: the write errors are expected.
      socket.on('error', () => {});
      socket.once('close', () => resolve(out));
    });
    expect(res).toMatch(/^HTTP\/1\.1 413/);
    expect(res).toContain('REQUEST_PAYLOAD_TOO_LARGE');
  });

  it('limits JSON depth, key count and prototype keys while parsing, with clear 400s', async () => {
    const deep = `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`;
    await expect400('POST', '/experiments/create', deep, /nested deeper than 32 levels/);
    const deepArray = `{"name":"x","tags":${'['.repeat(1000)}${']'.repeat(1000)}}`;
    await expect400('POST', '/experiments/create', deepArray, /nested deeper/);
    const manyKeys = `{${Array.from({ length: 20_001 }, (_, i) => `"k${i}":1`).join(',')}}`;
    await expect400('POST', '/experiments/create', manyKeys, /more than 20000 keys/);
    await expect400('POST', '/experiments/create', '{"name":"p","__proto__":{"admin":true}}', /__proto__/);
    await expect400('POST', '/experiments/create', '{"name":"p","\\u005f_proto__":{"x":1}}', /__proto__/);
    await expect400(
      'POST',
      '/experiments/create',
      '{"name":"p","constructor":{"prototype":{"x":1}}}',
      /constructor\.prototype/,
    );
    expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
  });

  it('refuses NUL characters in bodies and URLs up front (PostgreSQL cannot store them)', async () => {
    await expect400('POST', '/runs/set-tag', { run_id: runId, key: 't', value: 'a\u0000b' }, /NUL/);
    await expect400('POST', '/registered-models/create', { name: 'nul\u0000name' }, /NUL/);
    await expect400(
      'POST',
      '/runs/log-batch',
      { run_id: runId, params: [{ key: 'k\u0000', value: 'v' }] },
      /NUL/,
    );
    const res = await s.json(
      'GET',
      `${API}/registered-models/search?filter=${encodeURIComponent("name = '\u0000'")}`,
    );
    expect(res.status).toBe(400);
    expect(String(res.body['message'])).toMatch(/NUL/);
  });

  it("still takes MLflow's biggest legitimate log-batch: 1000 metrics", async () => {
    const metrics = Array.from({ length: 1000 }, (_, i) => ({
      key: 'loss',
      value: i,
      timestamp: i,
      step: i,
    }));
    const res = await post('/runs/log-batch', { run_id: runId, metrics });
    expect(res.status).toBe(200);
    const history = await s.json(
      'GET',
      `${API}/metrics/get-history?run_id=${runId}&metric_key=loss&max_results=5000`,
    );
    expect((history.body['metrics'] as unknown[]).length).toBe(1000);
  });

  it('enforces batch sizes and string lengths', async () => {
    const kv = (n: number, len = 1) =>
      Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(len) }));
    await expect400('POST', '/runs/log-batch', { run_id: runId, params: kv(101) }, /at most 100 params/);
    await expect400('POST', '/runs/log-batch', { run_id: runId, tags: kv(101) }, /at most 100 tags/);
    const metrics = Array.from({ length: 1001 }, (_, i) => ({ key: 'm', value: 1, timestamp: i }));
    await expect400('POST', '/runs/log-batch', { run_id: runId, metrics }, /at most 1000 metrics/);
    await expect400(
      'POST',
      '/runs/log-parameter',
      { run_id: runId, key: 'p', value: 'x'.repeat(6001) },
      /6000/,
    );
    await expect400('POST', '/runs/set-tag', { run_id: runId, key: 't', value: 'x'.repeat(8001) }, /8000/);
    await expect400('POST', '/runs/set-tag', { run_id: runId, key: 'k'.repeat(251), value: 'x' }, /250/);
    await expect400('POST', '/experiments/create', { name: 'e'.repeat(501) }, /500/);
    await expect400('POST', '/registered-models/create', { name: 'm'.repeat(257) });
    await expect400('POST', '/runs/create', { experiment_id: '0', run_name: 'r'.repeat(251) });
    await expect400('POST', '/runs/create', { experiment_id: '0', user_id: 'u'.repeat(257) }, /256/);
    // Nothing of it was written.
    const run = await s.json('GET', `${API}/runs/get?run_id=${runId}`);
    const data = (run.body['run'] as { data: Record<string, unknown> }).data;
    expect(data['params']).toBeUndefined();
  });

  it("caps page sizes at MLflow's limits, per endpoint", async () => {
    const caps: Array<[string, string, number, Record<string, unknown>]> = [
      ['POST', '/runs/search', 50_000, { experiment_ids: ['0'] }],
      ['POST', '/experiments/search', 50_000, {}],
      ['GET', '/registered-models/search', 1000, {}],
      ['GET', '/model-versions/search', 200_000, {}],
      ['POST', '/logged-models/search', 50_000, { experiment_ids: ['0'] }],
      ['GET', '/metrics/get-history', 25_000, { run_id: runId, metric_key: 'loss' }],
      ['GET', '/metrics/get-history-bulk-interval', 1000, { run_ids: runId, metric_key: 'loss' }],
    ];
    for (const [method, route, cap, extra] of caps) {
      const call = (n: number) => {
        const body = { ...extra, max_results: n };
        if (method === 'POST') return s.json('POST', API + route, body);
        const qs = new URLSearchParams(
          Object.entries(body).map(([k, v]): [string, string] => [k, String(v)]),
        );
        return s.json('GET', `${API + route}?${qs}`);
      };
      expect((await call(cap)).status, `${route} ${cap}`).toBe(200);
      for (const n of [cap + 1, 0, -1, 2 ** 31]) {
        const res = await call(n);
        expect(res.status, `${route} ${n}`).toBe(400);
        expect(res.body['error_code']).toBe('INVALID_PARAMETER_VALUE');
      }
    }
  });

  it('bounds search filters, order_by, page tokens and experiment lists', async () => {
    const long = `name = '${'x'.repeat(70_000)}'`;
    await expect400(
      'POST',
      '/runs/search',
      { experiment_ids: ['0'], filter: long },
      /filter is \d+ characters/,
    );
    await expect400('POST', '/experiments/search', { filter: long }, /filter/);
    await expect400('POST', '/logged-models/search', { experiment_ids: ['0'], filter: long }, /filter/);
    const ids = Array.from({ length: 1001 }, (_, i) => String(i));
    await expect400('POST', '/runs/search', { experiment_ids: ids }, /experiment_ids/);
    const orderBy = Array.from({ length: 101 }, () => 'name ASC');
    await expect400('POST', '/experiments/search', { order_by: orderBy }, /order_by/);
    await expect400(
      'POST',
      '/runs/search',
      { experiment_ids: ['0'], page_token: 'A'.repeat(5000) },
      /page_token/,
    );
    // GET searches take the filter from the query string: refused the same way, and a URL past
    // Node's header limit is refused before routing (431), never a 5xx.
    for (const route of ['/registered-models/search', '/model-versions/search']) {
      const qs = new URLSearchParams({ filter: `name = '${'y'.repeat(15_000)}'` });
      const res = await rawRequest(s.url, 'GET', `${API}${route}?${qs}`);
      expect(res.status, route).toBe(400);
      const huge = new URLSearchParams({ filter: `name = '${'y'.repeat(70_000)}'` });
      expect((await rawRequest(s.url, 'GET', `${API}${route}?${huge}`)).status, route).toBe(431);
    }
  });
});
