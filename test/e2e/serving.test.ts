import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CairnError } from '../../src/core/errors.js';
import { Frame } from '../../src/core/frame.js';
import { type ServingHandle, startServing } from '../../src/serving/server.js';
import type { ServableModel } from '../../src/serving/types.js';
import { ROOT, spawnCli, waitForOutput } from '../helpers/cli.js';

const XGB_DIR = path.join(ROOT, 'test/fixtures/models/xgboost/binary/json');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Expected {
  columns: string[];
  rows: Array<Array<number | null>>;
  predict: number[];
  predict_proba: number[][];
}

const post = (url: string, body: unknown, type = 'application/json') =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': type },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

/** A model that doubles column x, after `delayMs`, and records the size of each call. */
function stubModel(delayMs = 0): ServableModel & { calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    flavor: 'stub',
    signature: { inputs: [{ name: 'x', type: 'double' }], outputs: [{ name: 'y', type: 'double' }] },
    async predict(f: Frame) {
      calls.push(f.length);
      if (delayMs) await sleep(delayMs);
      const x = f.get('x');
      if (x?.type !== 'double') throw new Error('not a double column');
      if ((x.values as Float64Array).some((v) => v < 0))
        throw new CairnError('INVALID_PARAMETER_VALUE', "Column 'x' must not be negative");
      return Frame.fromColumns({ y: (x.values as Float64Array).map((v) => v * 2) });
    },
  };
}

describe('scoring server over HTTP: the XGBoost fixture', () => {
  let server: ServingHandle;
  let expected: Expected;
  beforeAll(async () => {
    expected = JSON.parse(
      await readFile(path.join(ROOT, 'test/fixtures/models/xgboost/binary/expected.json'), 'utf8'),
    );
    server = await startServing({ modelDir: XGB_DIR, port: 0 });
  });
  afterAll(() => server.close());

  // An XGBClassifier answers labels only, as MLflow's scoring server does.
  const checkPredictions = (preds: number[]) => {
    expect(preds).toEqual(expected.predict);
  };

  it('answers predict_proba when the request asks for it (params.predict_method)', async () => {
    const ask = (params: Record<string, unknown>) =>
      post(`${server.url}/invocations`, {
        dataframe_split: { columns: expected.columns, data: expected.rows },
        params,
      });
    const res = await ask({ predict_method: 'predict_proba' });
    expect(res.status).toBe(200);
    const preds = ((await res.json()) as { predictions: Array<Record<string, number>> }).predictions;
    expect(preds).toHaveLength(expected.rows.length);
    preds.forEach((p, i) => {
      expect(Object.keys(p)).toEqual(['probability_0', 'probability_1']);
      expect(p.probability_0).toBeCloseTo(expected.predict_proba[i]![0]!, 5);
      expect(p.probability_1).toBeCloseTo(expected.predict_proba[i]![1]!, 5);
    });
    const labels = await ask({ predict_method: 'predict' });
    checkPredictions(((await labels.json()) as { predictions: never }).predictions);
    const bad = await ask({ predict_method: 'predict_log_proba' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/predict_method/);
  });

  it('dataframe_split returns the fixture predictions, with the model headers', async () => {
    const res = await post(`${server.url}/invocations`, {
      dataframe_split: { columns: expected.columns, data: expected.rows },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-cairn-model-uri')).toBe(XGB_DIR);
    checkPredictions(((await res.json()) as { predictions: never }).predictions);
  });

  it('dataframe_records, instances, inputs and CSV give the same predictions', async () => {
    const records = expected.rows.map((r) => Object.fromEntries(expected.columns.map((c, i) => [c, r[i]])));
    const columns = Object.fromEntries(expected.columns.map((c, i) => [c, expected.rows.map((r) => r[i])]));
    const csv = [
      expected.columns.join(','),
      ...expected.rows.map((r) => r.map((v) => (v === null ? '' : String(v))).join(',')),
    ].join('\n');
    for (const [body, type] of [
      [{ dataframe_records: records }, 'application/json'],
      [{ instances: records }, 'application/json'],
      [{ inputs: columns }, 'application/json; charset=utf-8'],
      [csv, 'text/csv'],
    ] as const) {
      const res = await post(`${server.url}/invocations`, body, type);
      expect(res.status).toBe(200);
      checkPredictions(((await res.json()) as { predictions: never }).predictions);
    }
  });

  it('answers signature errors with BAD_REQUEST naming the column and type', async () => {
    const res = await post(`${server.url}/invocations`, {
      dataframe_records: [{ x0: 'a', x1: 0, x2: 0, x3: 0, x4: 0, x5: 0 }],
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error_code: string; message: string };
    expect(body.error_code).toBe('BAD_REQUEST');
    expect(body.message).toMatch(/x0/);
    expect(body.message).toMatch(/double/);
    const malformed = await post(`${server.url}/invocations`, '{"dataframe_split": ');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error_code: string }).error_code).toBe('BAD_REQUEST');
    const two = await post(`${server.url}/invocations`, { instances: [1], inputs: [1] });
    expect(two.status).toBe(400);
    // Prototype-poisoning bodies are refused, not parsed.
    const poisoned = await post(
      `${server.url}/invocations`,
      '{"__proto__": {"polluted": true}, "instances": [1]}',
    );
    expect(poisoned.status).toBe(400);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses other content types unread with 415, unknown routes with 404', async () => {
    for (const type of ['text/plain', 'application/octet-stream', 'application/x-python-pickle']) {
      const res = await post(`${server.url}/invocations`, 'whatever', type);
      expect(res.status).toBe(415);
      expect(res.headers.get('x-cairn-model-uri')).toBe(XGB_DIR);
    }
    const none = await fetch(`${server.url}/invocations`, { method: 'POST' });
    expect(none.status).toBe(415);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });

  it('serves ping, health, version and metrics', async () => {
    const ping = await fetch(`${server.url}/ping`);
    expect(ping.status).toBe(200);
    expect(await ping.text()).toBe('');
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(await (await fetch(`${server.url}/version`)).text()).toMatch(/\d+\.\d+/);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(
      /cairn_serving_requests_total\{model="model",version="",route="\/invocations",status="200"\} \d+/,
    );
    expect(metrics).toMatch(/# TYPE cairn_serving_request_duration_seconds histogram/);
    expect(metrics).toMatch(/cairn_serving_queue_depth\{model="model",version=""\} 0/);
  });

  it('speaks the Open Inference Protocol v2', async () => {
    expect(await (await fetch(`${server.url}/v2/health/live`)).json()).toEqual({ live: true });
    expect((await fetch(`${server.url}/v2/health/ready`)).status).toBe(200);
    const meta = (await (await fetch(`${server.url}/v2/models/model`)).json()) as {
      inputs: Array<{ name: string; datatype: string }>;
      outputs: Array<{ datatype: string }>;
    };
    expect(meta.inputs.map((i) => i.name)).toEqual(expected.columns);
    expect(meta.inputs[0]!.datatype).toBe('FP64');
    expect(meta.outputs[0]!.datatype).toBe('FP32');
    expect((await fetch(`${server.url}/v2/models/other`)).status).toBe(404);
    const rows = expected.rows.map((r) => r.map((v) => v ?? Number.NaN));
    const tensor = {
      inputs: [
        {
          name: 'x',
          shape: [rows.length, 6],
          datatype: 'FP64',
          data: rows.flat().map((v) => (Number.isNaN(v) ? null : v)),
        },
      ],
    };
    const res = await post(`${server.url}/v2/models/model/infer`, tensor);
    expect(res.status).toBe(200);
    const out = (await res.json()) as {
      model_name: string;
      outputs: Array<{ name: string; shape: number[]; data: number[] }>;
    };
    expect(out.model_name).toBe('model');
    const pred = out.outputs.find((o) => o.name === 'prediction')!;
    expect(pred.shape).toEqual([rows.length]);
    expect(pred.data).toEqual(expected.predict);
    const perColumn = {
      inputs: expected.columns.map((c, i) => ({
        name: c,
        shape: [rows.length],
        datatype: 'FP64',
        data: expected.rows.map((r) => r[i]),
      })),
    };
    const res2 = await post(`${server.url}/v2/models/model/versions/1/infer`, perColumn);
    expect(res2.status).toBe(404); // no registry version is known for a directory
    const res3 = await post(`${server.url}/v2/models/model/infer`, perColumn);
    const out3 = (await res3.json()) as { outputs: Array<{ name: string; data: number[] }> };
    expect(out3.outputs.find((o) => o.name === 'prediction')!.data).toEqual(expected.predict);
    const bad = await post(`${server.url}/v2/models/model/infer`, {
      inputs: [{ name: 'x', shape: [2, 6], data: [1] }],
    });
    expect(bad.status).toBe(400);
  });
});

describe('scoring server under load', () => {
  it('merges concurrent requests into batches and splits big ones', async () => {
    const model = stubModel(5);
    const server = await startServing({ model, port: 0, maxBatchSize: 4, maxLatencyMs: 50 });
    try {
      const answers = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          post(`${server.url}/invocations`, { dataframe_split: { columns: ['x'], data: [[i + 0.5]] } }).then(
            (r) => r.json() as Promise<{ predictions: number[] }>,
          ),
        ),
      );
      answers.forEach((a, i) => {
        expect(a.predictions).toEqual([(i + 0.5) * 2]);
      });
      expect(model.calls.length).toBeLessThan(24);
      expect(Math.max(...model.calls)).toBeGreaterThan(1);
      expect(Math.max(...model.calls)).toBeLessThanOrEqual(4);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      const le1 = Number(/cairn_serving_batch_size_rows_bucket\{[^}]*le="1"\} (\d+)/.exec(metrics)![1]);
      const count = Number(/cairn_serving_batch_size_rows_count\{[^}]*\} (\d+)/.exec(metrics)![1]);
      expect(count).toBeGreaterThan(le1); // some batches held more than one row

      model.calls.length = 0;
      const big = Array.from({ length: 10 }, (_, i) => [i + 0.25]);
      const res = await post(`${server.url}/invocations`, { dataframe_split: { columns: ['x'], data: big } });
      expect(((await res.json()) as { predictions: number[] }).predictions).toEqual(big.map(([v]) => v! * 2));
      expect(model.calls).toEqual([4, 4, 2]);
    } finally {
      await server.close();
    }
  });

  it('a bad request in a batch fails alone', async () => {
    const model = stubModel(5);
    const server = await startServing({ model, port: 0, maxBatchSize: 64 });
    try {
      const good = () =>
        post(`${server.url}/invocations`, { dataframe_split: { columns: ['x'], data: [[1.5]] } });
      const bad = () =>
        post(`${server.url}/invocations`, { dataframe_split: { columns: ['x'], data: [[-1.5]] } });
      const answers = await Promise.all([good(), good(), bad(), good(), bad(), good()]);
      expect(answers.map((r) => r.status)).toEqual([200, 200, 400, 200, 400, 200]);
      expect(Math.max(...model.calls)).toBeGreaterThan(1);
    } finally {
      await server.close();
    }
  });

  it('answers 503 with Retry-After past the queue bound, and 504 past the deadline', async () => {
    const server = await startServing({ model: stubModel(100), port: 0, maxQueue: 2, batching: false });
    try {
      const statuses = await Promise.all(
        Array.from({ length: 8 }, () =>
          post(`${server.url}/invocations`, { inputs: { x: [1.5] } }).then(async (r) => {
            if (r.status === 503) {
              expect(r.headers.get('retry-after')).toBe('1');
              expect(((await r.json()) as { error_code: string }).error_code).toBe('TEMPORARILY_UNAVAILABLE');
            }
            return r.status;
          }),
        ),
      );
      expect(statuses.filter((s) => s === 200)).toHaveLength(2);
      expect(statuses.filter((s) => s === 503)).toHaveLength(6);
    } finally {
      await server.close();
    }
    const slow = await startServing({ model: stubModel(200), port: 0, timeoutMs: 30 });
    try {
      const res = await post(`${slow.url}/invocations`, { inputs: { x: [1.5] } });
      expect(res.status).toBe(504);
      expect(((await res.json()) as { error_code: string }).error_code).toBe('DEADLINE_EXCEEDED');
    } finally {
      await slow.close();
    }
  });

  it('drains in-flight requests on close', async () => {
    const server = await startServing({ model: stubModel(150), port: 0 });
    const inflight = post(`${server.url}/invocations`, { inputs: { x: [2.5] } });
    await sleep(30);
    await server.close();
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { predictions: number[] }).predictions).toEqual([5]);
    await expect(fetch(`${server.url}/ping`)).rejects.toThrow();
  });
});

describe('cairn serve', () => {
  it('serves a model directory and exits 0 on SIGTERM', async () => {
    const child = spawnCli(['serve', XGB_DIR, '--port', '0']);
    const [, url] = await waitForOutput(child, /Serving .* at (http:\/\/\S+)/);
    const res = await post(`${url}/invocations`, {
      dataframe_records: [{ x0: 1, x1: 0, x2: 0, x3: 0, x4: 0, x5: 0 }],
    });
    expect(res.status).toBe(200);
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  }, 30_000);
});
