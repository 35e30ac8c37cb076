import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveModel } from '../../src/models/model-dir.js';
import { autoWorkers, TINY_MODEL_BYTES } from '../../src/serving/model-loader.js';
import { startServing } from '../../src/serving/server.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A `js` model that keeps its thread busy (a synchronous spin) for `ms` milliseconds per row. */
const SPIN_MODEL = `
export function predict(frame) {
  const ms = frame.get('ms').values;
  const out = new Float64Array(ms.length);
  for (let i = 0; i < ms.length; i++) {
    const end = Date.now() + ms[i];
    while (Date.now() < end) {}
    out[i] = ms[i];
  }
  return { done: out };
}
`;

const score = async (url: string, ms: number) => {
  const t0 = performance.now();
  const res = await fetch(`${url}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ dataframe_records: [{ ms }] }),
  });
  const body = (await res.json()) as { predictions?: number[]; error_code?: string };
  return { status: res.status, body, ms: performance.now() - t0 };
};

/** Pings while `busy` runs; the slowest ping's round trip in ms. */
async function slowestPing(url: string, busy: Promise<unknown>): Promise<number> {
  let done = false;
  void busy.finally(() => {
    done = true;
  });
  await sleep(150); // the slow batch is running by now
  let worst = 0;
  while (!done) {
    const t0 = performance.now();
    await fetch(`${url}/ping`);
    worst = Math.max(worst, performance.now() - t0);
    await sleep(40);
  }
  return worst;
}

describe('serving in worker threads', () => {
  let tmp: { dir: string; remove(): Promise<void> };
  let dir: string;
  beforeAll(async () => {
    tmp = await tempDir();
    dir = path.join(tmp.dir, 'spin');
    await saveModel(dir, { flavor: 'js', files: { 'model.mjs': SPIN_MODEL } });
  });
  afterAll(() => tmp.remove());

  it('keeps the event loop free: /ping answers while a slow predict runs in a worker', async () => {
    const server = await startServing({ modelDir: dir, allowCode: true, port: 0, workers: 1 });
    try {
      expect(server.workers).toBe(1);
      const slow = score(server.url, 1200);
      const worst = await slowestPing(server.url, slow);
      expect((await slow).status).toBe(200);
      expect((await slow).body.predictions).toEqual([1200]);
      expect(worst).toBeLessThan(250);
    } finally {
      await server.close();
    }
  }, 30_000);

  it('measures the event loop: stalled by a slow predict in-process, not with a worker', async () => {
    // Server and client share this process, so the loop's own delay is the measure.
    const stall = async (workers: number) => {
      const server = await startServing({ modelDir: dir, allowCode: true, port: 0, workers });
      try {
        await score(server.url, 0);
        let last = performance.now();
        let worst = 0;
        const tick = setInterval(() => {
          const now = performance.now();
          worst = Math.max(worst, now - last);
          last = now;
        }, 10);
        expect((await score(server.url, 1000)).status).toBe(200);
        await sleep(30);
        clearInterval(tick);
        return worst;
      } finally {
        await server.close();
      }
    };
    expect(await stall(1)).toBeLessThan(200);
    expect(await stall(0)).toBeGreaterThan(800); // the check above would catch predict on the loop
  }, 30_000);

  it.each([true, false])(
    'a request past its deadline mid-predict gets 504 and frees its worker (batching %s)',
    async (batching) => {
      const server = await startServing({
        modelDir: dir,
        allowCode: true,
        port: 0,
        workers: 1,
        timeoutMs: 300,
        batching,
      });
      try {
        for (let i = 0; i < 2; i++) {
          const stuck = await score(server.url, 60_000); // would hold the only thread for a minute
          expect(stuck.status).toBe(504);
          expect(stuck.body.error_code).toBe('DEADLINE_EXCEEDED');
          expect(stuck.ms).toBeLessThan(2000);
          // The stuck batch was aborted: its thread was replaced (the new one reloads the model),
          // so the pool's one thread serves the next request, not a minute later.
          let next = await score(server.url, 0);
          for (let tries = 0; next.status === 504 && tries < 20; tries++) next = await score(server.url, 0);
          expect(next.status).toBe(200);
          expect(next.body.predictions).toEqual([0]);
        }
        const metrics = await (await fetch(`${server.url}/metrics`)).text();
        expect(metrics).toMatch(/cairn_serving_queue_depth\{[^}]*\} 0/);
      } finally {
        const t0 = performance.now();
        await server.close();
        expect(performance.now() - t0).toBeLessThan(5000); // nothing left spinning to wait for
      }
    },
    60_000,
  );

  it("workers 'auto' (the default): a tiny XGBoost model in-process, a js model in a thread", async () => {
    const xgb = path.join(ROOT, 'test/fixtures/models/xgboost/binary/json');
    expect(await autoWorkers(xgb)).toBe(0);
    expect(await autoWorkers(dir)).toBe(1);
    const big = path.join(tmp.dir, 'big');
    await saveModel(big, {
      flavor: 'xgboost',
      files: {
        'model.json': await readFile(path.join(xgb, 'model.json')),
        'padding.bin': new Uint8Array(TINY_MODEL_BYTES),
      },
      flavorConf: { data: 'model.json', model_class: 'xgboost.sklearn.XGBClassifier' },
    });
    expect(await autoWorkers(big)).toBe(1);
    const tiny = await startServing({ modelDir: xgb, port: 0 });
    const spin = await startServing({ modelDir: dir, allowCode: true, port: 0 });
    try {
      expect(tiny.workers).toBe('auto');
      expect(tiny.routes[0]!.model.concurrency).toBeUndefined();
      expect(spin.routes[0]!.model.concurrency).toBe(1);
      expect((await score(spin.url, 0)).body.predictions).toEqual([0]);
    } finally {
      await tiny.close();
      await spin.close();
    }
  }, 30_000);

  it("takes a deployment's workers; --workers (the option) wins; a bad count names the field", async () => {
    const deployment = { routes: [{ name: 'main', model: dir, weight: 1 }], workers: 2 };
    const fromFile = await startServing({ deployment, allowCode: true, port: 0 });
    const fromFlag = await startServing({ deployment, allowCode: true, port: 0, workers: 0 });
    try {
      expect(fromFile.workers).toBe(2);
      expect(fromFile.routes[0]!.model.concurrency).toBe(2);
      expect((await score(fromFile.url, 0)).body.predictions).toEqual([0]);
      expect(fromFlag.workers).toBe(0);
      expect(fromFlag.routes[0]!.model.concurrency).toBeUndefined();
      expect((await score(fromFlag.url, 0)).body.predictions).toEqual([0]);
    } finally {
      await fromFile.close();
      await fromFlag.close();
    }
    for (const workers of [-1, 1.5, 'many'])
      await expect(
        startServing({ deployment: { ...deployment, workers } as never, allowCode: true, port: 0 }),
      ).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: /workers/ });
  }, 30_000);

  it('predicts in-process for an already-loaded model, and refuses a negative worker count', async () => {
    const model = { predict: async (f: never) => f };
    const server = await startServing({ model, port: 0, workers: 4 });
    expect(server.workers).toBe(0);
    await server.close();
    await expect(
      startServing({ modelDir: dir, allowCode: true, port: 0, workers: -1 }),
    ).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    });
  });
});
