import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RouteEntry, routesOf } from '../../src/server/route-table.js';
import { listTree, type TestServer } from '../helpers/server.js';
import { type Backend, leaksInternals, startSecurityServer } from './backends.js';
import {
  CONTENT_TYPES,
  garbageBody,
  Rng,
  randomObject,
  randomPathPart,
  randomQuery,
  rejectedObject,
} from './fuzz-gen.js';
import { rawRequest } from './raw-http.js';
import { snapshotStore } from './store-snapshot.js';

const API = '/api/2.0/mlflow';
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];
/** POST routes that only read (searches): any body may be sent to them in the unchanged phase. */
const READ_ONLY_POST = /\/(search|get-latest-versions)$/;

interface Sent {
  method: string;
  url: string;
  contentType?: string;
  body?: string;
}

/** Seeds one of everything, so generated requests reach real rows as well as missing ones. */
async function seed(s: TestServer): Promise<string[]> {
  const post = async (route: string, body: unknown) => {
    const res = await s.json('POST', API + route, body);
    if (res.status !== 200) throw new Error(`seed ${route}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const exp = String(
    (await post('/experiments/create', { name: 'fuzz', tags: [{ key: 't', value: 'v' }] }))['experiment_id'],
  );
  const run = (await post('/runs/create', { experiment_id: exp, run_name: 'r' }))['run'] as {
    info: { run_id: string };
  };
  const runId = run.info.run_id;
  await post('/runs/log-batch', {
    run_id: runId,
    metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }],
    params: [{ key: 'p', value: '1' }],
    tags: [{ key: 't', value: 'v' }],
  });
  const model = (await post('/logged-models', { experiment_id: exp, name: 'lm' }))['model'] as {
    info: { model_id: string };
  };
  await post('/registered-models/create', { name: 'fuzz-model' });
  await post('/model-versions/create', { name: 'fuzz-model', source: `runs:/${runId}/model`, run_id: runId });
  await post('/registered-models/alias', { name: 'fuzz-model', alias: 'champion', version: '1' });
  const put = await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts/${exp}/${runId}/artifacts/file.txt`, {
    method: 'PUT',
    body: 'data',
  });
  if (put.status !== 200) throw new Error('seed artifact');
  return [
    exp,
    runId,
    model.info.model_id,
    'fuzz-model',
    '1',
    'file.txt',
    `${exp}/${runId}/artifacts/file.txt`,
  ];
}

/** The route's URL with its `:param`s and `*` filled. */
function fill(url: string, rng: Rng, seeded: readonly string[]): string {
  return url.replace(/:[A-Za-z_]+|\*/g, () => randomPathPart(rng, seeded));
}

function isWrite(route: RouteEntry): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(route.method) && !READ_ONLY_POST.test(route.url);
}

/**
 * One request for the "store unchanged" phase: read routes get anything; write routes only what
 * they must refuse (a body no schema accepts, or a hostile path), or a method they do not have.
 */
function unchangedPhaseRequest(route: RouteEntry, rng: Rng, seeded: readonly string[]): Sent {
  const write = isWrite(route);
  const artifactWrite = write && route.url.includes('mlflow-artifacts');
  // Writes must not reach a real path or id: only hostile fillers for them.
  const fillers = write ? [] : seeded;
  let url = artifactWrite
    ? route.url.replace(
        '*',
        rng.pick(['..', '%2e%2e/x', '..%2f..%2fx', '/etc/x', 'a/../../x', '%', 'a%00b', 'C:%5cx']),
      )
    : fill(route.url, rng, fillers);
  let method = route.method;
  if (rng.chance(0.15)) method = rng.pick(METHODS);
  if (method === 'GET' || method === 'HEAD' || rng.chance(0.3)) url += `?${randomQuery(rng)}`;
  if (rng.chance(0.05)) url += rng.pick(['%', '/%zz', '/..', '//', '/%2e%2e']);
  const sent: Sent = { method, url };
  if (method === 'HEAD') return sent; // a HEAD with a body confuses the client, not the server
  if (method === 'GET' || method === 'OPTIONS') {
    if (rng.chance(0.1))
      Object.assign(sent, { contentType: rng.pick(CONTENT_TYPES), body: garbageBody(rng) });
    return sent;
  }
  const writes = write && method === route.method;
  const kind = rng.int(3);
  const body =
    kind === 0 ? garbageBody(rng) : JSON.stringify(writes ? rejectedObject(rng) : randomObject(rng));
  sent.contentType = rng.chance(0.8) ? 'application/json' : rng.pick(CONTENT_TYPES);
  // A write route must not get a valid body under a content type it might read as anything.
  if (writes && artifactWrite) sent.contentType = 'application/octet-stream';
  sent.body = body;
  return sent;
}

/** One request for the "anything goes" phase: plausible bodies that may be accepted (no store check). */
function anyPhaseRequest(route: RouteEntry, rng: Rng, seeded: readonly string[]): Sent {
  let url = fill(route.url, rng, seeded);
  if (route.method === 'GET' || rng.chance(0.2)) url += `?${randomQuery(rng)}`;
  const sent: Sent = { method: route.method, url };
  if (route.method !== 'GET' && route.method !== 'HEAD') {
    sent.contentType = 'application/json';
    const obj = randomObject(rng);
    // Point some fields at real rows, so the service's deeper rules run.
    for (const [field, value] of [
      ['run_id', seeded[1]],
      ['experiment_id', seeded[0]],
      ['model_id', seeded[2]],
      ['name', seeded[3]],
      ['version', seeded[4]],
    ] as const)
      if (rng.chance(0.3)) obj[field] = value;
    sent.body = JSON.stringify(obj);
  }
  return sent;
}

async function send(s: TestServer, r: Sent): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = {};
  if (r.contentType !== undefined) headers['content-type'] = r.contentType;
  try {
    return await rawRequest(s.url, r.method, r.url, headers, r.body);
  } catch (e) {
    return { status: 599, text: `transport error: ${(e as Error).message}` };
  }
}

function fuzzSuite(backend: Backend, counts: { unchanged: number; any: number }) {
  describe(`fuzz: malformed requests at every route (${backend})`, () => {
    let s: TestServer;
    let seeded: string[];
    let routes: readonly RouteEntry[];
    beforeAll(async () => {
      s = await startSecurityServer(backend);
      seeded = await seed(s);
      routes = routesOf(s.app);
    });
    afterAll(async () => s.stop());

    const check = async (requests: Sent[]) => {
      const failures: string[] = [];
      const tally = new Map<number, number>();
      for (let i = 0; i < requests.length; i++) {
        const r = requests[i]!;
        const res = await send(s, r);
        tally.set(res.status, (tally.get(res.status) ?? 0) + 1);
        const what = `${r.method} ${r.url.slice(0, 200)} [${r.contentType ?? '-'}] ${String(r.body ?? '').slice(0, 200)}`;
        if (res.status >= 500) failures.push(`${res.status} ${what} -> ${res.text.slice(0, 300)}`);
        else if (res.status >= 400 && r.method !== 'HEAD') {
          const leak = leaksInternals(res.text, [r.url, r.body ?? '', ...safeDecode(r.url)]);
          if (leak && /stack frame|class name/.test(leak))
            failures.push(`leaks ${leak}: ${what} -> ${res.text.slice(0, 300)}`);
        }
        if (i % 250 === 0) expect((await send(s, { method: 'GET', url: '/health' })).status).toBe(200);
      }
      expect(failures.slice(0, 25), `${failures.length} bad answers`).toEqual([]);
      // The requests reached handlers (not only the router's 404): many kinds of answer came back.
      if (process.env['CAIRN_FUZZ_TALLY']) console.log([...tally].sort((x, y) => x[0] - y[0]));
      expect(tally.get(400) ?? 0).toBeGreaterThan(requests.length / 10);
      expect(tally.get(404) ?? 0).toBeGreaterThan(0);
      expect((await send(s, { method: 'GET', url: '/health' })).status).toBe(200);
    };

    it('takes the route list from the app itself', () => {
      const urls = new Set(routes.map((r) => `${r.method} ${r.url}`));
      for (const r of [
        'POST /api/2.0/mlflow/runs/log-batch',
        'GET /ajax-api/2.0/mlflow/registered-models/search',
        'PUT /api/2.0/mlflow-artifacts/artifacts/*',
        'GET /get-artifact',
        'PATCH /api/2.0/mlflow/logged-models/:model_id',
      ])
        expect(urls, r).toContain(r);
      expect(routes.length).toBeGreaterThan(100);
    });

    it('answers malformed requests at every route without a 5xx and leaves the store unchanged', async () => {
      const before = await snapshotStore(s);
      const files = await listTree(s.artifactsDir);
      const rng = new Rng(0xca1f);
      const requests: Sent[] = [];
      for (let i = 0; i < counts.unchanged; i++) {
        // Every route gets its turn, then random ones.
        const route = i < routes.length ? routes[i]! : rng.pick(routes);
        requests.push(unchangedPhaseRequest(route, rng, seeded));
      }
      await check(requests);
      expect(await snapshotStore(s)).toBe(before);
      expect(await listTree(s.artifactsDir)).toEqual(files);
    });

    it('answers plausible but wrong requests at every route without a 5xx', async () => {
      const rng = new Rng(0xbeef);
      const requests: Sent[] = [];
      for (let i = 0; i < counts.any; i++) {
        const route = i < routes.length ? routes[i]! : rng.pick(routes);
        requests.push(anyPhaseRequest(route, rng, seeded));
      }
      await check(requests);
    });
  });
}

function safeDecode(url: string): string[] {
  try {
    return [decodeURIComponent(url)];
  } catch {
    return [];
  }
}

fuzzSuite('sqlite', { unchanged: 2500, any: 1500 });
fuzzSuite('postgresql', { unchanged: 1200, any: 800 });
