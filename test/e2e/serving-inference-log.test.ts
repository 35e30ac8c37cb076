import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InferenceLog } from '../../src/serving/inference-log.js';
import { startServing } from '../../src/serving/server.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const XGB_DIR = path.join(ROOT, 'test/fixtures/models/xgboost/binary/json');
const COLUMNS = ['x0', 'x1', 'x2', 'x3', 'x4', 'x5'];

describe('serving with the inference log and late feedback', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it('logs each answered request with its route and version, and joins labels posted later', async () => {
    const tmp = await tempDir();
    cleanups.push(tmp.remove);
    const store = `sqlite:///${path.join(tmp.dir, 'serving.db')}`;
    const server = await startServing({ modelDir: XGB_DIR, port: 0, inferenceLog: store });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${server.url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': `req-${i}` },
        body: JSON.stringify({ dataframe_split: { columns: COLUMNS, data: [[i, 0, 1, 0, 1, 0]] } }),
      });
      expect(res.status).toBe(200);
      ids.push(res.headers.get('x-request-id')!);
    }
    expect(ids).toEqual(['req-0', 'req-1', 'req-2', 'req-3', 'req-4']);

    // Labels arrive later, by request id; an unknown id is refused.
    const fb = await fetch(`${server.url}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        feedback: [
          { request_id: 'req-1', label: 1 },
          { request_id: 'req-3', label: 0 },
        ],
      }),
    });
    expect(fb.status).toBe(200);
    const unknown = await fetch(`${server.url}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ request_id: 'nope', label: 1 }),
    });
    expect(unknown.status).toBe(404);
    await server.close();

    const log = await InferenceLog.open(store);
    cleanups.push(() => log.close());
    const rows = await log.query({ modelUri: XGB_DIR });
    expect(rows.map((r) => r.requestId)).toEqual(ids);
    expect(rows[0]).toMatchObject({ route: 'main', status: 200, inputs: [{ x0: 0 }] });
    expect(rows[0]!.outputs).toHaveLength(1);
    expect(rows.find((r) => r.requestId === 'req-1')?.label).toBe(1);
    expect(rows.find((r) => r.requestId === 'req-3')?.label).toBe(0);
    expect(rows.find((r) => r.requestId === 'req-0')?.label).toBeUndefined();
  });

  it('does not log a request refused as malformed after it was parsed (a column the model lacks)', async () => {
    const tmp = await tempDir();
    cleanups.push(tmp.remove);
    const store = `sqlite:///${path.join(tmp.dir, 'serving.db')}`;
    const server = await startServing({ modelDir: XGB_DIR, port: 0, workers: 0, inferenceLog: store });
    const post = (id: string, columns: string[], row: unknown[]) =>
      fetch(`${server.url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': id },
        body: JSON.stringify({ dataframe_split: { columns, data: [row] } }),
      });
    expect((await post('missing-column', ['x0'], [1])).status).toBe(400);
    expect((await post('wrong-type', COLUMNS, ['a', 0, 0, 0, 0, 0])).status).toBe(400);
    expect((await post('good', COLUMNS, [1, 0, 1, 0, 1, 0])).status).toBe(200);
    await server.close();

    const log = await InferenceLog.open(store);
    cleanups.push(() => log.close());
    const rows = await log.query({ modelUri: XGB_DIR });
    expect(rows.map((r) => [r.requestId, r.status])).toEqual([['good', 200]]);
  });
});
