import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/client/index.js';
import { Frame } from '../../src/core/frame.js';
import { type ServingHandle, startServing } from '../../src/serving/server.js';
import type { InferenceRecord, ServableModel } from '../../src/serving/types.js';
import { ROOT, spawnCli, waitForOutput } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/models/xgboost/binary');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A model that multiplies column x by `factor`, as registry version `version` of `name`. */
function stub(name: string, version: string, factor: number): ServableModel {
  return {
    flavor: 'stub',
    modelVersion: { name, version },
    signature: { inputs: [{ name: 'x', type: 'double' }], outputs: [{ name: 'y', type: 'double' }] },
    async predict(f: Frame) {
      const x = f.get('x')!.values as Float64Array;
      return Frame.fromColumns({ y: x.map((v) => v * factor) });
    },
  };
}

const MODELS = {
  'models:/fraud/1': stub('fraud', '1', 2),
  'models:/fraud/2': stub('fraud', '2', 2),
  'models:/fraud-shadow/5': stub('fraud-shadow', '5', 3),
};

const score = (url: string, x: number, headers: Record<string, string> = {}) =>
  fetch(`${url}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ inputs: { x: [x] } }),
  });

/** Runs `n` calls of `fn`, at most `concurrency` at once. */
async function pool<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

describe('deployments: canary, sticky, shadow, headers', () => {
  let server: ServingHandle;
  const records: InferenceRecord[] = [];
  beforeAll(async () => {
    server = await startServing({
      port: 0,
      seed: 7,
      models: MODELS,
      sink: { record: (r) => records.push(r), close: async () => {} },
      deployment: {
        routes: [
          { name: 'stable', model: 'models:/fraud/1', weight: 80 },
          { name: 'canary', model: 'models:/fraud/2', weight: 20 },
        ],
        shadow: { name: 'next', model: 'models:/fraud-shadow/5', fraction: 0.5 },
        sticky: { header: 'X-User-Id' },
      },
    });
  });
  afterAll(() => server.close());

  it('splits 2000 requests 80/20 within tolerance, saying who answered', async () => {
    const routes = await pool(2000, 32, async (i) => {
      const res = await score(server.url, i);
      expect(res.status).toBe(200);
      const route = res.headers.get('x-cairn-route')!;
      expect(res.headers.get('x-cairn-model-version')).toBe(route === 'stable' ? '1' : '2');
      expect(res.headers.get('x-cairn-model-uri')).toBe(
        route === 'stable' ? 'models:/fraud/1' : 'models:/fraud/2',
      );
      return route;
    });
    const canary = routes.filter((r) => r === 'canary').length / routes.length;
    expect(canary).toBeGreaterThan(0.16);
    expect(canary).toBeLessThan(0.24);
    expect(new Set(routes)).toEqual(new Set(['stable', 'canary']));
  });

  it('sticky routing keeps each key on one route', async () => {
    const seen = new Map<string, Set<string>>();
    await pool(300, 16, async (i) => {
      const key = `user-${i % 60}`;
      const res = await score(server.url, 1, { 'x-user-id': key });
      const set = seen.get(key) ?? new Set();
      set.add(res.headers.get('x-cairn-route')!);
      seen.set(key, set);
    });
    for (const set of seen.values()) expect(set.size).toBe(1);
    const used = new Set([...seen.values()].flatMap((s) => [...s]));
    expect(used).toEqual(new Set(['stable', 'canary']));
  });

  it('never returns the shadow, counts its agreement and logs it; echoes the request id', async () => {
    records.length = 0;
    for (let i = 0; i < 40; i++) {
      const res = await score(server.url, 5, { 'x-request-id': `req-${i}` });
      expect(res.headers.get('x-request-id')).toBe(`req-${i}`);
      expect(res.headers.get('x-cairn-route')).not.toMatch(/shadow/);
      expect(((await res.json()) as { predictions: number[] }).predictions).toEqual([10]);
    }
    await sleep(50);
    const main = records.filter((r) => !r.route.startsWith('shadow:') && r.requestId.startsWith('req-'));
    const shadow = records.filter((r) => r.route === 'shadow:next' && r.requestId.startsWith('req-'));
    expect(main).toHaveLength(40);
    expect(main[0]).toMatchObject({
      requestId: 'req-0',
      status: 200,
      inputs: [{ x: 5 }],
      outputs: [{ y: 10 }],
    });
    expect(shadow.length).toBeGreaterThan(5);
    expect(shadow.length).toBeLessThan(35);
    expect(shadow[0]).toMatchObject({
      modelUri: 'models:/fraud-shadow/5',
      modelVersion: '5',
      outputs: [{ y: 15 }],
    });
    const generated = await score(server.url, 1);
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const different =
      /cairn_serving_shadow_predictions_total\{shadow="shadow:next",result="different"\} (\d+)/.exec(metrics);
    expect(Number(different?.[1])).toBeGreaterThanOrEqual(shadow.length);
    expect(metrics).toMatch(
      /cairn_serving_route_requests_total\{deployment_route="canary",version="2"\} \d+/,
    );
    expect((await fetch(`${server.url}/v2/health/ready`)).status).toBe(200);
  });
});

describe('deployment validation', () => {
  const bad = async (deployment: unknown, field: RegExp) => {
    const err = await startServing({ port: 0, deployment: deployment as never }).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(err?.code).toBe('INVALID_PARAMETER_VALUE');
    expect(err?.message).toMatch(field);
  };

  it('names the field of each error', async () => {
    await bad({ routes: [{ name: 'a', model: 'models:/x/1', weight: 1 }], extra: 1 }, /extra/);
    await bad({ routes: [{ name: 'a', model: 'models:/x/1', weight: 1, wieght: 2 }] }, /routes\[0\].*wieght/);
    await bad({ routes: [{ name: 'a', model: 'models:/x/1', weight: 0 }] }, /routes: .*sum to more than 0/);
    await bad(
      { routes: [{ name: 'a', model: 'models:/x/nope', weight: 1 }] },
      /routes\[0\]\.model: Invalid model URI/,
    );
    await bad({ routes: [] }, /routes/);
    await bad(
      {
        routes: [{ name: 'a', model: 'models:/x/1', weight: 1 }],
        shadow: { model: 'models:/x/1', fraction: 2 },
      },
      /shadow\.fraction/,
    );
  });

  it('reads a YAML file and reports errors in it', async () => {
    const tmp = await tempDir();
    try {
      const file = path.join(tmp.dir, 'deployment.yaml');
      await writeFile(file, 'routes:\n  - name: a\n    model: models:/x/1\n    weight: -1\n');
      await expect(startServing({ port: 0, deployment: file })).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringMatching(/routes\[0\]\.weight/),
      });
    } finally {
      await tmp.remove();
    }
  });

  it('cairn serve deployment.yaml serves its routes', async () => {
    const tmp = await tempDir();
    const file = path.join(tmp.dir, 'deployment.yaml');
    await writeFile(
      file,
      [
        'routes:',
        `  - {name: json, model: ${JSON.stringify(path.join(FIXTURE, 'json'))}, weight: 1}`,
        `  - {name: ubj, model: ${JSON.stringify(path.join(FIXTURE, 'ubj'))}, weight: 1}`,
        'batching: {maxBatchSize: 8}',
      ].join('\n'),
    );
    const child = spawnCli(['serve', file, '--port', '0']);
    try {
      const [, url] = await waitForOutput(child, /Serving .* at (http:\/\/\S+)/);
      const routes = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${url}/invocations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ dataframe_records: [{ x0: 1, x1: 0, x2: 0, x3: 0, x4: 0, x5: 0 }] }),
        });
        expect(res.status).toBe(200);
        routes.add(res.headers.get('x-cairn-route')!);
      }
      expect(routes).toEqual(new Set(['json', 'ubj']));
    } finally {
      const exit = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exit;
      await tmp.remove();
    }
  }, 30_000);
});

describe('hot reload under load (embedded store)', () => {
  it('moves to the new alias target with zero failed requests', async () => {
    const tmp = await tempDir();
    const saved = process.env['CAIRN_HOME'];
    process.env['CAIRN_HOME'] = tmp.dir;
    const trackingUri = `sqlite:///${path.join(tmp.dir, 'cairn.db')}`;
    const client = await connect(trackingUri);
    let server: ServingHandle | undefined;
    try {
      const expected = JSON.parse(await readFile(path.join(FIXTURE, 'expected.json'), 'utf8')) as {
        columns: string[];
      };
      const frame = Frame.fromRecords(
        [Object.fromEntries(expected.columns.map((c) => [c, 0.5]))],
        Object.fromEntries(expected.columns.map((c) => [c, 'double'])),
      );
      for (let i = 0; i < 2; i++) {
        const run = await client.startRun({ experiment: 'reload', captureEnvironment: false });
        await client.logModel(run, path.join(FIXTURE, 'json/model.json'), {
          inferFrom: frame,
          registeredModelName: 'scorer',
        });
        await run.end();
      }
      await client.registry.setAlias('scorer', 'champion', '1');
      server = await startServing({
        port: 0,
        trackingUri,
        reloadIntervalMs: 100,
        deployment: { routes: [{ name: 'main', model: 'models:/scorer@champion', weight: 1 }] },
      });
      const url = server.url;
      const body = JSON.stringify({ dataframe_records: frame.toRecords() });
      const seen: Array<{ status: number; version: string | null; at: number }> = [];
      let stop = false;
      const workers = Array.from({ length: 8 }, async () => {
        while (!stop) {
          try {
            const res = await fetch(`${url}/invocations`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body,
            });
            await res.arrayBuffer();
            seen.push({
              status: res.status,
              version: res.headers.get('x-cairn-model-version'),
              at: Date.now(),
            });
          } catch {
            seen.push({ status: 0, version: null, at: Date.now() });
          }
        }
      });
      await sleep(300);
      const movedAt = Date.now();
      await client.registry.setAlias('scorer', 'champion', '2');
      let switchedAt: number | undefined;
      while (Date.now() - movedAt < 8000 && switchedAt === undefined) {
        switchedAt = seen.find((s) => s.version === '2')?.at;
        await sleep(20);
      }
      await sleep(300);
      stop = true;
      await Promise.all(workers);

      expect(seen.length).toBeGreaterThan(100);
      expect(seen.filter((s) => s.status !== 200)).toEqual([]);
      expect(seen.filter((s) => s.at < movedAt).every((s) => s.version === '1')).toBe(true);
      expect(switchedAt).toBeDefined();
      expect(switchedAt! - movedAt).toBeLessThan(5000);
      // Once swapped, new requests all go to v2 (a few in flight at the swap may still finish on v1).
      expect(seen.slice(-50).every((s) => s.version === '2')).toBe(true);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/cairn_serving_reloads_total\{deployment_route="main"\} 1/);
      expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200);
    } finally {
      await server?.close();
      await client.close();
      if (saved === undefined) delete process.env['CAIRN_HOME'];
      else process.env['CAIRN_HOME'] = saved;
      await tmp.remove();
    }
  }, 30_000);
});
