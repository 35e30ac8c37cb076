import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import { Frame } from '../src/core/frame.js';
import { loadModel, saveModel } from '../src/models/model-dir.js';
import { inferSignature } from '../src/models/signature.js';
import type { WorkerCount } from '../src/serving/model-loader.js';
import { DEFAULT_WORKERS } from '../src/serving/served.js';
import { startServing } from '../src/serving/server.js';
import type { BenchOptions } from './run.js';
import { percentile, table } from './stats.js';

const FIXTURES = path.resolve('test/fixtures/models');
const XGB_DIR = path.join(FIXTURES, 'xgboost/binary/json');

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

// One POST per request; `done` prints throughput, latency percentiles (µs) and failures.
const LUA = `
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function init(args) wrk.body = args[1] end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_RESULT requests=%d duration_us=%d p50=%d p99=%d errors=%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status + e.connect + e.read + e.write + e.timeout))
end
`;

/** wrk runs in a child process, awaited asynchronously: the servers under test share this event loop. */
async function wrkLoad(
  script: string,
  url: string,
  body: string,
  connections: number,
  seconds: number,
): Promise<Load> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '-s', script, url, '--', body];
  const out = await promisify(execFile)('wrk', args, { encoding: 'utf8' });
  const m = /WRK_RESULT requests=(\d+) duration_us=(\d+) p50=(\d+) p99=(\d+) errors=(\d+)/.exec(out.stdout);
  if (!m) throw new Error(`wrk failed: ${out.stderr || out.stdout}`);
  return {
    rps: Number(m[1]) / (Number(m[2]) / 1e6),
    p50: Number(m[3]) / 1000,
    p99: Number(m[4]) / 1000,
    errors: Number(m[5]),
  };
}

/** The fallback load generator: keep-alive fetch loops in this process (shares the cores). */
async function nodeLoad(url: string, body: string, connections: number, seconds: number): Promise<Load> {
  const lat: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const s = performance.now();
        const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await r.arrayBuffer();
        if (r.status !== 200) errors++;
        lat.push(performance.now() - s);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  return { rps: lat.length / elapsed, p50: percentile(lat, 50), p99: percentile(lat, 99), errors };
}

function randomRows(n: number, width: number, seed = 11): number[][] {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return Math.round((s / 2 ** 31 - 0.5) * 4000) / 1000 + 0.0001;
  };
  return Array.from({ length: n }, () => Array.from({ length: width }, rnd));
}

export default async function servingBench(opts: BenchOptions): Promise<Record<string, unknown>> {
  const seconds = opts.quick ? 1 : 3;
  const useWrk = spawnSync('wrk', ['--version']).error === undefined;
  if (!useWrk) opts.log('wrk is not installed: using a Node.js client, which shares the cores');
  const work = await mkdtemp(path.join(tmpdir(), 'cairn-bench-serving-'));
  const script = path.join(work, 'post.lua');
  await writeFile(script, LUA);
  const load = (url: string, body: string, c: number) =>
    useWrk ? wrkLoad(script, url, body, c, seconds) : nodeLoad(url, body, c, seconds);
  const rows: Array<Array<string | number>> = [];
  const result: Record<string, unknown> = {
    load_generator: useWrk ? 'wrk' : 'node',
    seconds_per_run: seconds,
  };
  try {
    // Ceiling 1: in-process predict throughput, 256-row batches, no HTTP.
    const xgbCols = ['x0', 'x1', 'x2', 'x3', 'x4', 'x5'];
    const xgb = await loadModel(XGB_DIR);
    const frame = Frame.fromColumns(
      Object.fromEntries(xgbCols.map((c, i) => [c, Float64Array.from(randomRows(256, 6).map((r) => r[i]!))])),
    );
    for (let i = 0; i < 50; i++) await xgb.predict(frame);
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 500) {
      await xgb.predict(frame);
      n += frame.length;
    }
    const inprocess = n / ((performance.now() - t0) / 1000);
    result.inprocess_rows_per_s = Math.round(inprocess);
    rows.push([
      'in-process predict (xgboost, 256-row batches)',
      '-',
      Math.round(inprocess),
      'rows/s',
      '-',
      '-',
    ]);
    await xgb.close();

    // Ceiling 2: a bare Fastify endpoint that parses the same body and returns a constant.
    const xgbBody = JSON.stringify({ dataframe_split: { columns: xgbCols, data: randomRows(1, 6) } });
    const bare = Fastify();
    bare.post('/invocations', async () => ({ predictions: [0] }));
    await bare.listen({ host: '127.0.0.1', port: 0 });
    const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}/invocations`;
    await load(bareUrl, xgbBody, 64);
    const bareLoad = await load(bareUrl, xgbBody, 64);
    result.bare_http_rps = Math.round(bareLoad.rps);
    rows.push([
      'bare Fastify, constant reply',
      '64',
      Math.round(bareLoad.rps),
      'req/s',
      bareLoad.p50,
      bareLoad.p99,
    ]);
    await bare.close();

    // The scoring server, batching on and off, on XGBoost and ONNX (one row per request).
    const onnxDir = path.join(work, 'onnx');
    const onnxCols = ['x_0', 'x_1', 'x_2'];
    await saveModel(onnxDir, {
      flavor: 'onnx',
      files: { 'model.onnx': await readFile(path.join(FIXTURES, 'onnx/logistic.onnx')) },
      signature: inferSignature(Frame.fromColumns(Object.fromEntries(onnxCols.map((c) => [c, [0.5, 1.5]])))),
    });
    const onnxBody = JSON.stringify({ dataframe_split: { columns: onnxCols, data: randomRows(1, 3) } });
    // The default (`workers: auto`: in-process for these tiny models) gives the main keys; each
    // model also runs in worker threads (`w1_`, `w2_` keys: 1 and 2 threads).
    const configs: Array<{
      flavor: string;
      dir: string;
      body: string;
      workers: WorkerCount;
      prefix: string;
    }> = [
      { flavor: 'xgboost', dir: XGB_DIR, body: xgbBody, workers: DEFAULT_WORKERS, prefix: '' },
      { flavor: 'xgboost', dir: XGB_DIR, body: xgbBody, workers: 1, prefix: 'w1_' },
      { flavor: 'xgboost', dir: XGB_DIR, body: xgbBody, workers: 2, prefix: 'w2_' },
      { flavor: 'onnx', dir: onnxDir, body: onnxBody, workers: DEFAULT_WORKERS, prefix: 'onnx_' },
      { flavor: 'onnx', dir: onnxDir, body: onnxBody, workers: 1, prefix: 'onnx_w1_' },
    ];
    for (const { flavor, dir, body, workers, prefix } of configs) {
      for (const batching of [true, false]) {
        const server = await startServing({ modelDir: dir, port: 0, batching, workers });
        const url = `${server.url}/invocations`;
        await load(url, body, 8); // warm up
        const threads = server.routes[0]!.model.concurrency;
        const where =
          threads === undefined ? `in-process (workers ${workers})` : `${threads} worker thread(s)`;
        for (const c of [1, 8, 64]) {
          const r = await load(url, body, c);
          if (r.errors > 0) opts.log(`${flavor} ${where} c${c}: ${r.errors} failed requests`);
          const mode = batching ? 'batched' : 'unbatched';
          rows.push([
            `cairn serve ${flavor}, ${where}, ${mode}`,
            String(c),
            Math.round(r.rps),
            'req/s',
            r.p50,
            r.p99,
          ]);
          result[`${prefix}c${c}_${mode}_rps`] = Math.round(r.rps);
          result[`${prefix}c${c}_p50_ms_${mode}`] = r.p50;
          result[`${prefix}c${c}_p99_ms_${mode}`] = r.p99;
        }
        await server.close();
      }
    }
    result.default_workers = DEFAULT_WORKERS;
    result.c1_p99_ms_xgboost = result.c1_p99_ms_batched;
    result.c64_batched_share_of_bare = Number(
      ((result.c64_batched_rps as number) / (result.bare_http_rps as number)).toFixed(3),
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  if (!opts.json) {
    opts.log(table(['what', 'conc.', 'throughput', 'unit', 'p50 ms', 'p99 ms'], rows));
    opts.log(
      `c64 batched = ${((result.c64_batched_share_of_bare as number) * 100).toFixed(0)}% of bare HTTP (target >= 50%); ` +
        `p99 at c1 (xgboost, batched) = ${(result.c1_p99_ms_xgboost as number).toFixed(2)} ms (target <= 2 ms); ` +
        `main keys use the default workers: ${DEFAULT_WORKERS}`,
    );
  }
  return result;
}
