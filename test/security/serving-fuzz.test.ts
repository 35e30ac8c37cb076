import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RouteEntry, routesOf } from '../../src/server/route-table.js';
import { type ServingHandle, type ServingOptions, startServing } from '../../src/serving/server.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { leaksInternals } from './backends.js';
import { CONTENT_TYPES, garbageBody, Rng, randomPathPart, randomQuery } from './fuzz-gen.js';
import { describeRequest, type FuzzAnswer, type FuzzRequest, sendAll, sendOne, tally } from './fuzz-send.js';
import {
  type Body,
  inferBody,
  invocationBody,
  loggedFeedbackBody,
  refusedFeedbackBody,
} from './serving-fuzz-gen.js';
import { dumpStore, queryRows } from './sqlite-rows.js';

const XGB = path.join(ROOT, 'test/fixtures/models/xgboost/binary');
const ONNX = path.join(ROOT, 'test/fixtures/models/mlflow-layout/onnx-mlflow3');
const XGB_COLUMNS = ['x0', 'x1', 'x2', 'x3', 'x4', 'x5'];
const ONNX_COLUMNS = ['x0', 'x1', 'x2', 'x3'];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];
/**
 * Requests in flight at once. Far below the admission limit (maxQueue, 1024 by default) and each
 * well under the deadline (timeoutMs, 30 s by default), so no 503 or 504 is legitimate here: the
 * test allows no 5xx at all.
 */
const CONCURRENCY = 8;
/** Explore beyond the committed run: another seed, more requests (`CAIRN_FUZZ_SEED`, `CAIRN_FUZZ_SCALE`). */
const SEED = Number(process.env['CAIRN_FUZZ_SEED'] ?? 0);
const SCALE = Number(process.env['CAIRN_FUZZ_SCALE'] ?? 1);
const SCORING = /\/(invocations|infer)$/;
/** What answered requests write: every other table (feedback labels included) must not change. */
const LOG_TABLES = ['inference_log', 'sqlite_sequence'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Target {
  label: string;
  options: ServingOptions;
  columns: readonly string[];
  /** Names an OIP tensor may carry for this model. */
  tensorNames: readonly string[];
  requests: number;
  /** Keeps an inference log in this SQLite file (POST /feedback exists). */
  logFile?: string;
}

function fillPath(url: string, rng: Rng, served: string): string {
  return url
    .replace(/:name/g, () => rng.pick([served, served, 'model', 'nope', randomPathPart(rng, [])]))
    .replace(/:version/g, () => rng.pick(['1', '2', '0', 'latest', '-1', randomPathPart(rng, [])]));
}

let requestCounter = 0;

/** A weird value for a header the scoring server reads (request id, sticky key, accept). */
function weirdHeaders(rng: Rng): Record<string, string> {
  const h: Record<string, string> = {};
  const weird = () =>
    rng.pick(['', ' ', 'x'.repeat(5000), 'fz-\u00e9\u00ff', '\t', 'a,b', '../..', '%00', 'null', '0']);
  // Unique, where valid: a request id given twice is logged once, which the row count would miss.
  if (rng.chance(0.2)) h['x-request-id'] = `${weird()}~${requestCounter++}`;
  if (rng.chance(0.2)) h['x-user'] = weird();
  if (rng.chance(0.1)) h['accept'] = rng.pick(['text/csv', 'application/xml', '*/*;q=x', '']);
  if (rng.chance(0.05)) h['content-encoding'] = rng.pick(['gzip', 'br', 'identity', 'x']);
  if (rng.chance(0.05)) h['expect'] = '100-continue';
  return h;
}

function bodyFor(route: RouteEntry, rng: Rng, t: Target): Body {
  if (route.url.endsWith('/invocations')) return invocationBody(rng, t.columns);
  if (route.url.endsWith('/infer')) return inferBody(rng, t.tensorNames);
  if (route.url === '/feedback') return refusedFeedbackBody(rng);
  return { contentType: rng.pick(CONTENT_TYPES), body: garbageBody(rng) };
}

/** One malformed (or, by chance, valid) request for a route: its body, method, query and headers. */
function requestFor(route: RouteEntry, rng: Rng, t: Target, served: string): FuzzRequest {
  let url = fillPath(route.url, rng, served);
  let method = route.method;
  if (rng.chance(0.1)) method = rng.pick(METHODS);
  if (rng.chance(0.2)) url += `?${randomQuery(rng)}`;
  if (rng.chance(0.03)) url += rng.pick(['%', '/%zz', '/..', '//', '/%2e%2e', '%00']);
  const r: FuzzRequest = { method, url, headers: weirdHeaders(rng) };
  if (method === 'HEAD') return r;
  if (method === 'GET' || method === 'OPTIONS' || method === 'DELETE') {
    if (rng.chance(0.9)) return r;
  }
  // A body meant for another route now and then: a feedback body at /invocations, and so on.
  const b = bodyFor(
    rng.chance(0.1) ? { ...route, url: rng.pick(['/invocations', '/x/infer', '/feedback']) } : route,
    rng,
    t,
  );
  if (b.contentType !== undefined) r.contentType = b.contentType;
  if (b.body !== undefined) r.body = b.body;
  return r;
}

function checkAnswers(answers: readonly FuzzAnswer[]): string[] {
  const failures: string[] = [];
  for (const a of answers) {
    if (a.status >= 500)
      failures.push(`${a.status} ${describeRequest(a.request)} -> ${a.text.slice(0, 300)}`);
    else if (a.status >= 400 && a.request.method !== 'HEAD') {
      const body = typeof a.request.body === 'string' ? a.request.body : '';
      const leak = leaksInternals(a.text, [a.request.url, body]);
      if (leak && /stack frame|class name/.test(leak))
        failures.push(`leaks ${leak}: ${describeRequest(a.request)} -> ${a.text.slice(0, 300)}`);
    }
  }
  return failures;
}

const TARGETS: Target[] = [
  {
    label: 'XGBoost, in-process, with the inference log',
    options: { modelDir: path.join(XGB, 'json'), workers: 0 },
    columns: XGB_COLUMNS,
    tensorNames: ['input', ...XGB_COLUMNS],
    requests: 2500,
    logFile: 'xgb.db',
  },
  {
    label: 'ONNX, one worker thread',
    options: { modelDir: ONNX, workers: 1 },
    columns: ONNX_COLUMNS,
    tensorNames: ['input', ...ONNX_COLUMNS],
    requests: 1500,
  },
  {
    label: 'a deployment: two routes and a shadow, sticky, with the inference log',
    options: {
      workers: 0,
      seed: 11,
      deployment: {
        routes: [
          { name: 'stable', model: path.join(XGB, 'json'), weight: 3 },
          { name: 'canary', model: path.join(XGB, 'ubj'), weight: 1 },
        ],
        shadow: { name: 'next', model: path.join(XGB, 'legacy'), fraction: 0.5 },
        sticky: { header: 'x-user' },
      },
    },
    columns: XGB_COLUMNS,
    tensorNames: ['input', ...XGB_COLUMNS],
    requests: 1500,
    logFile: 'deployment.db',
  },
];

const VALID = (columns: readonly string[]) =>
  JSON.stringify({
    dataframe_split: { columns, data: [columns.map((_, i) => i / 10), columns.map(() => 0)] },
  });

describe.each(TARGETS)('serving fuzz: $label', (t) => {
  let server: ServingHandle;
  let routes: readonly RouteEntry[];
  let logFile: string | undefined;
  let remove: () => Promise<void>;
  /** Request ids of valid requests scored before the fuzz, for the feedback phase. */
  const logged: string[] = [];

  const valid = async () => {
    const res = await sendOne(server.url, {
      method: 'POST',
      url: '/invocations',
      contentType: 'application/json',
      body: VALID(t.columns),
    });
    expect(res.status, res.text).toBe(200);
    expect((JSON.parse(res.text) as { predictions: unknown[] }).predictions).toHaveLength(2);
  };

  /** The inference log's rows by status and whether a shadow wrote them, once the buffer is written. */
  const logRows = async () => {
    if (!logFile) return [];
    await sleep(1300); // the inference log writes its buffer every second
    return queryRows<{ status: number; shadow: number; n: number }>(
      logFile,
      "SELECT status, route LIKE 'shadow:%' AS shadow, count(*) AS n FROM inference_log GROUP BY 1, 2 ORDER BY 1, 2",
    );
  };

  beforeAll(async () => {
    const tmp = await tempDir();
    remove = tmp.remove;
    logFile = t.logFile ? path.join(tmp.dir, t.logFile) : undefined;
    server = await startServing({
      ...t.options,
      port: 0,
      ...(logFile ? { inferenceLog: `sqlite:///${logFile}` } : {}),
    });
    routes = routesOf(server.app);
    for (let i = 0; i < 3; i++) {
      const id = `logged-${i}`;
      const res = await sendOne(server.url, {
        method: 'POST',
        url: '/invocations',
        contentType: 'application/json',
        headers: { 'x-request-id': id },
        body: VALID(t.columns),
      });
      expect(res.status, res.text).toBe(200);
      logged.push(id);
    }
  });
  afterAll(async () => {
    await server?.close();
    await remove?.();
  });

  it('takes its route list from the app', () => {
    const urls = routes.map((r) => `${r.method} ${r.url}`);
    for (const r of ['POST /invocations', 'POST /v2/models/:name/versions/:version/infer', 'GET /metrics'])
      expect(urls).toContain(r);
    expect(urls.includes('POST /feedback')).toBe(t.logFile !== undefined);
  });

  it('answers malformed requests at every route without a 5xx, and logs only what it scored', async () => {
    const rowsBefore = await logRows();
    const feedbackBefore = logFile ? dumpStore(logFile, LOG_TABLES) : '';
    const rng = new Rng(0x5c0e + t.requests + SEED);
    const requests: FuzzRequest[] = [];
    // Every route gets its turn, then mostly the ones that read a body.
    const posts = routes.filter((r) => r.method === 'POST');
    for (let i = 0; i < t.requests * SCALE; i++) {
      const route = i < routes.length ? routes[i]! : rng.pick(rng.chance(0.8) ? posts : routes);
      requests.push(requestFor(route, rng, t, server.id.name));
    }
    const started = performance.now();
    const answers = await sendAll(server.url, requests, CONCURRENCY);
    const seconds = (performance.now() - started) / 1000;
    const failures = checkAnswers(answers);
    expect(failures.slice(0, 20), `${failures.length} bad answers`).toEqual([]);
    const counts = tally(answers);
    if (process.env['CAIRN_FUZZ_TALLY'])
      console.log(
        t.label,
        seconds.toFixed(1),
        's',
        [...counts].sort((a, b) => a[0] - b[0]),
      );
    // The requests reached the parsers and the models, not only the router.
    expect(counts.get(400) ?? 0).toBeGreaterThan(t.requests / 5);
    for (const status of [200, 404, 415]) expect(counts.get(status) ?? 0, `${status}s`).toBeGreaterThan(0);

    // Still alive and correct.
    expect((await sendOne(server.url, { method: 'GET', url: '/ping' })).status).toBe(200);
    await valid();
    const metrics = await sendOne(server.url, { method: 'GET', url: '/metrics' });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^cairn_serving_requests_total\{/m);

    if (!logFile) return;
    // Every row is an answered request: as many as scoring answers with 200 (and the one valid()),
    // none for a refused one; feedback labels untouched (no refused label was stored).
    const scored = answers.filter(
      (a) => a.status === 200 && SCORING.test(a.request.url.split('?')[0]!),
    ).length;
    const rowsAfter = await logRows();
    const count = (rows: typeof rowsAfter, pick: (r: (typeof rowsAfter)[number]) => boolean) =>
      rows.filter(pick).reduce((s, r) => s + r.n, 0);
    expect(count(rowsAfter, (r) => r.status !== 200)).toBe(0);
    expect(count(rowsAfter, (r) => !r.shadow) - count(rowsBefore, (r) => !r.shadow)).toBe(scored + 1);
    expect(dumpStore(logFile, LOG_TABLES)).toBe(feedbackBefore);
  });

  it.runIf(t.logFile !== undefined)(
    'takes labels of every JSON shape for logged requests without a 5xx',
    async () => {
      const rng = new Rng(0xfeed);
      const requests = Array.from({ length: 200 }, (): FuzzRequest => {
        const b = loggedFeedbackBody(rng, logged);
        return { method: 'POST', url: '/feedback', contentType: b.contentType!, body: b.body! };
      });
      const answers = await sendAll(server.url, requests, CONCURRENCY);
      expect(checkAnswers(answers).slice(0, 20)).toEqual([]);
      expect(tally(answers).get(200) ?? 0).toBeGreaterThan(100);
      await valid();
    },
  );
});
