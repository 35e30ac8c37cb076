import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openMetadataDb } from '../src/store/db.js';
import { HttpTrackingStore } from '../src/tracking/http-store.js';
import { TrackingService } from '../src/tracking/service.js';
import { SqliteTrackingStore } from '../src/tracking/sqlite-store.js';
import type { Metric } from '../src/tracking/types.js';
import { metricToWire } from '../src/tracking/wire.js';
import type { BenchOptions } from './run.js';
import { median, percentile, table } from './stats.js';

const KEYS = Array.from({ length: 10 }, (_, i) => `metric_${i}`);

/** Batches of 1000 points: 100 steps × 10 keys, all distinct rows. */
function makeBatches(count: number, stepOffset = 0): Metric[][] {
  const out: Metric[][] = [];
  for (let b = 0; b < count; b++) {
    const batch: Metric[] = [];
    for (let s = 0; s < 100; s++) {
      const step = stepOffset + b * 100 + s;
      for (const key of KEYS)
        batch.push({ key, value: Math.sin(step) + step / 1e4, timestamp: 1_700_000_000_000 + step, step });
    }
    out.push(batch);
  }
  return out;
}

async function embeddedStore(file: string) {
  const handle = await openMetadataDb(`sqlite:///${file}`);
  const store = new SqliteTrackingStore(handle);
  const service = new TrackingService(store);
  const run = await service.createRun({});
  return { handle, store, service, runId: run.info.run_id };
}

/** The baseline: the same rows into the same table with one prepared statement, no Cairn code. */
async function rawInsert(file: string, batches: Metric[][]): Promise<number> {
  const { handle, store, runId } = await embeddedStore(file);
  const sqlite = handle.sqlite!;
  const pk = (sqlite.prepare('select run_pk from runs where run_uuid = ?').get(runId) as { run_pk: number })
    .run_pk;
  const ids = new Map<string, number>();
  for (const k of KEYS) {
    sqlite.prepare('insert or ignore into metric_keys (key) values (?)').run(k);
    ids.set(
      k,
      (sqlite.prepare('select key_id from metric_keys where key = ?').get(k) as { key_id: number }).key_id,
    );
  }
  const ins = sqlite.prepare(
    'insert into metrics (run_pk, key_id, step, timestamp, value, is_nan) values (?, ?, ?, ?, ?, 0)',
  );
  const tx = sqlite.transaction((rows: Metric[]) => {
    for (const m of rows) ins.run(pk, ids.get(m.key)!, m.step, m.timestamp, m.value);
  });
  const t0 = performance.now();
  for (const b of batches) tx(b);
  const secs = (performance.now() - t0) / 1000;
  await store.close();
  return (batches.length * 1000) / secs;
}

async function embeddedIngest(file: string, batches: Metric[][]): Promise<number> {
  const { store, service, runId } = await embeddedStore(file);
  const t0 = performance.now();
  for (const b of batches) await service.logBatch(runId, { metrics: b });
  const secs = (performance.now() - t0) / 1000;
  await store.close();
  return (batches.length * 1000) / secs;
}

interface ServerProc {
  url: string;
  stop(): Promise<void>;
}

/** The real `cairn server` CLI in its own process, so the load generator does not share its core. */
async function startServerProcess(dbFile: string, artifacts: string): Promise<ServerProc> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'server',
      '--port',
      '0',
      '--backend-store-uri',
      `sqlite:///${dbFile}`,
      '--artifacts-destination',
      artifacts,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(buf);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function post(agent: http.Agent, url: URL, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** wrk (Debian's package) as the load generator: a C client leaves the cores to the server. */
function hasWrk(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}

async function wrkIngest(server: ServerProc, seconds: number, connections: number): Promise<number> {
  const svc = new TrackingService(new HttpTrackingStore(server.url));
  const run = await svc.createRun({});
  const out = spawnSync(
    'wrk',
    [
      '-t1',
      `-c${connections}`,
      `-d${seconds}s`,
      '-s',
      'bench/log-batch.lua',
      server.url,
      '--',
      run.info.run_id,
    ],
    { encoding: 'utf8' },
  );
  const m = /WRK_RESULT requests=(\d+) duration_us=(\d+) errors=(\d+)/.exec(out.stdout);
  if (!m) throw new Error(`wrk failed: ${out.stderr || out.stdout}`);
  if (Number(m[3]) > 0) throw new Error(`wrk saw ${m[3]} failed requests`);
  const stored = await svc.getMetricHistory(run.info.run_id, 'metric_0', { maxResults: 25_000 });
  if (stored.items.length < Math.min(25_000, Number(m[1]) * 100))
    throw new Error('log-batch points are missing');
  return (Number(m[1]) * 1000) / (Number(m[2]) / 1e6);
}

async function httpIngest(server: ServerProc, batches: Metric[][], concurrency: number): Promise<number> {
  const svc = new TrackingService(new HttpTrackingStore(server.url));
  const run = await svc.createRun({});
  const bodies = batches.map((b) =>
    JSON.stringify({ run_id: run.info.run_id, metrics: b.map(metricToWire) }),
  );
  const url = new URL(`${server.url}/api/2.0/mlflow/runs/log-batch`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) await post(agent, url, bodies[next++]!);
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  agent.destroy();
  return (bodies.length * 1000) / secs;
}

/** A store with `counts` runs per experiment, each with two latest metrics and a param (bulk-loaded). */
async function seedRuns(
  file: string,
  counts: number[],
): Promise<{ service: TrackingService; store: SqliteTrackingStore; expIds: string[] }> {
  const handle = await openMetadataDb(`sqlite:///${file}`);
  const store = new SqliteTrackingStore(handle);
  const service = new TrackingService(store);
  const sqlite = handle.sqlite!;
  const expIds: string[] = [];
  let rand = 12345;
  const random = () => {
    rand = (rand * 1103515245 + 12345) % 2 ** 31;
    return rand / 2 ** 31;
  };
  sqlite.prepare("insert into metric_keys (key) values ('acc'), ('loss')").run();
  const insRun = sqlite.prepare(
    "insert into runs (run_uuid, experiment_id, name, user_id, status, start_time, lifecycle_stage, artifact_uri) values (?, ?, ?, 'bench', 'FINISHED', ?, 'active', 'mlflow-artifacts:/x')",
  );
  const insLatest = sqlite.prepare(
    'insert into latest_metrics (run_pk, key_id, experiment_id, step, timestamp, value, is_nan) values (?, ?, ?, 0, 0, ?, 0)',
  );
  const insMetric = sqlite.prepare(
    'insert into metrics (run_pk, key_id, step, timestamp, value, is_nan) values (?, ?, 0, 0, ?, 0)',
  );
  const insParam = sqlite.prepare('insert into params (run_pk, key, value) values (?, ?, ?)');
  const insTag = sqlite.prepare('insert into tags (run_pk, key, value) values (?, ?, ?)');
  for (const count of counts) {
    const exp = await service.createExperiment({ name: `search-${count}` });
    expIds.push(exp);
    sqlite.transaction(() => {
      for (let i = 0; i < count; i++) {
        const uuid = `${exp.padStart(4, '0')}${i.toString(16).padStart(28, '0')}`;
        const pk = Number(insRun.run(uuid, Number(exp), `run-${i}`, 1_700_000_000_000 + i).lastInsertRowid);
        const acc = random();
        const loss = random();
        insLatest.run(pk, 1, Number(exp), acc);
        insLatest.run(pk, 2, Number(exp), loss);
        insMetric.run(pk, 1, acc);
        insMetric.run(pk, 2, loss);
        insParam.run(pk, 'model', i % 2 ? 'xgboost' : 'onnx');
        insTag.run(pk, 'mlflow.runName', `run-${i}`);
      }
    })();
  }
  sqlite.pragma('optimize');
  return { service, store, expIds };
}

async function timeSearch(
  service: TrackingService,
  expId: string,
  iterations: number,
  filter = 'metrics.acc > 0.5',
): Promise<number[]> {
  const q = {
    experimentIds: [expId],
    filter,
    orderBy: ['metrics.acc DESC'],
    maxResults: 100,
  };
  for (let i = 0; i < 5; i++) await service.searchRuns(q); // warm up
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    const page = await service.searchRuns(q);
    times.push(performance.now() - t0);
    if (page.items.length !== 100) throw new Error(`search returned ${page.items.length} runs`);
  }
  return times;
}

export default async function trackingBench(opts: BenchOptions): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cairn-bench-'));
  const batchCount = opts.quick ? 20 : 200;
  const rounds = opts.quick ? 1 : 3;
  try {
    const raw: number[] = [];
    const embedded: number[] = [];
    const httpRates: number[] = [];
    const useWrk = hasWrk();
    if (!useWrk)
      opts.log('wrk is not installed (apt-get install wrk): using a Node.js client, which shares the cores');
    for (let r = 0; r < rounds; r++) {
      opts.log(
        `ingest round ${r + 1}/${rounds}: raw, embedded, http (${batchCount} batches of 1000 points each)`,
      );
      raw.push(await rawInsert(path.join(dir, `raw-${r}.db`), makeBatches(batchCount)));
      embedded.push(await embeddedIngest(path.join(dir, `emb-${r}.db`), makeBatches(batchCount)));
      const server = await startServerProcess(path.join(dir, `http-${r}.db`), path.join(dir, 'art'));
      try {
        httpRates.push(
          useWrk
            ? await wrkIngest(server, opts.quick ? 1 : 2, 4)
            : await httpIngest(server, makeBatches(batchCount), 4),
        );
      } finally {
        await server.stop();
      }
    }
    const rawRate = median(raw);
    const embRate = median(embedded);
    const httpRate = median(httpRates);

    const sizes = opts.quick ? [1000, 10_000] : [10_000, 100_000];
    opts.log(`seeding ${sizes.join(' + ')} runs for search`);
    const seedFile = path.join(dir, 'search.db');
    const seeded = await seedRuns(seedFile, sizes);
    const iterations = opts.quick ? 30 : 200;
    const small = await timeSearch(seeded.service, seeded.expIds[0]!, iterations);
    const large = await timeSearch(seeded.service, seeded.expIds[1]!, iterations);
    const largeUnfiltered = await timeSearch(seeded.service, seeded.expIds[1]!, iterations, '');
    await seeded.store.close();
    opts.log('search over HTTP at the larger size');
    const server = await startServerProcess(seedFile, path.join(dir, 'art'));
    let largeHttp: number[];
    try {
      largeHttp = await timeSearch(
        new TrackingService(new HttpTrackingStore(server.url)),
        seeded.expIds[1]!,
        iterations,
      );
    } finally {
      await server.stop();
    }

    const result = {
      raw_points_per_s: Math.round(rawRate),
      embedded_points_per_s: Math.round(embRate),
      http_points_per_s: Math.round(httpRate),
      embedded_vs_raw: +(embRate / rawRate).toFixed(3),
      http_vs_raw: +(httpRate / rawRate).toFixed(3),
      raw_samples: raw.map(Math.round),
      embedded_samples: embedded.map(Math.round),
      http_samples: httpRates.map(Math.round),
      search_p50_ms_10k: +percentile(small, 50).toFixed(2),
      search_p99_ms_10k: +percentile(small, 99).toFixed(2),
      search_p50_ms_100k: +percentile(large, 50).toFixed(2),
      search_p99_ms_100k: +percentile(large, 99).toFixed(2),
      search_order_only_p50_ms_100k: +percentile(largeUnfiltered, 50).toFixed(2),
      search_order_only_p99_ms_100k: +percentile(largeUnfiltered, 99).toFixed(2),
      search_http_p50_ms_100k: +percentile(largeHttp, 50).toFixed(2),
      search_http_p99_ms_100k: +percentile(largeHttp, 99).toFixed(2),
      search_sizes: sizes,
      http_load_generator: useWrk ? 'wrk' : 'node',
    };
    if (!opts.json) {
      process.stdout.write(
        `\nMetric ingest (log-batch of 1000 points, 10 keys; median of ${rounds} rounds)\n${table(
          ['path', 'points/s', 'vs raw', 'target'],
          [
            ['raw better-sqlite3 insert (baseline)', rawRate, '1.00', '-'],
            ['embedded (TrackingService → SQLite)', embRate, result.embedded_vs_raw.toFixed(2), '≥ 0.80'],
            [
              `HTTP log-batch (cairn server; ${useWrk ? 'wrk' : 'node'}, 4 connections)`,
              httpRate,
              result.http_vs_raw.toFixed(2),
              '≥ 0.50',
            ],
            ['MLflow 3.11 server, SQLite (ANCHORS.md)', 4500, '-', '-'],
          ],
        )}\n\nsearch-runs: metrics.acc > 0.5, order by metrics.acc DESC, 100 per page (${iterations} queries)\n${table(
          ['runs', 'path', 'p50 ms', 'p99 ms', 'target'],
          [
            [sizes[0]!, 'embedded', percentile(small, 50), percentile(small, 99), '-'],
            [sizes[1]!, 'embedded', percentile(large, 50), percentile(large, 99), 'p50 ≤ 30'],
            [sizes[1]!, 'HTTP', percentile(largeHttp, 50), percentile(largeHttp, 99), '-'],
            [
              `${sizes[1]!} (no filter, order only)`,
              'embedded',
              percentile(largeUnfiltered, 50),
              percentile(largeUnfiltered, 99),
              '-',
            ],
            [1000, 'MLflow 3.11 (ANCHORS.md)', 1000, 1130, '-'],
          ],
        )}\n`,
      );
    }
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
