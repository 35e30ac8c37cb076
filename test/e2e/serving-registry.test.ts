import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CairnClient, connect } from '../../src/client/index.js';
import { Frame } from '../../src/core/frame.js';
import { type ServingHandle, startServing } from '../../src/serving/server.js';
import { exitCode, ROOT, spawnCli, waitForOutput } from '../helpers/cli.js';
import { startTestServer } from '../helpers/server.js';
import { keepScoring } from '../helpers/serving-load.js';
import { tempDir } from '../helpers/temp.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/models/xgboost/binary');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Expected {
  columns: string[];
  rows: Array<Array<number | null>>;
  predict: number[];
}
const expectedOf = async () =>
  JSON.parse(await readFile(path.join(FIXTURE, 'expected.json'), 'utf8')) as Expected;

/**
 * Registers the fixture's MLflow model directory (an XGBClassifier, as MLflow logged it) as a new
 * version of `name`, `n` times: the run's artifacts are the directory, the version's source the run.
 */
async function registerFixture(client: CairnClient, name: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const run = await client.startRun({ experiment: 'serving', captureEnvironment: false });
    await run.logArtifacts(path.join(FIXTURE, 'json'), 'model');
    await run.end();
    if (i === 0) await client.registry.createRegisteredModel({ name });
    await client.registry.createModelVersion({ name, source: `runs:/${run.id}/model`, runId: run.id });
  }
}

describe('cairn serve models:/<name>@<alias> (CLI, embedded store)', () => {
  it('resolves the alias, predicts the fixture and says which version answered', async () => {
    const tmp = await tempDir();
    const trackingUri = `sqlite:///${path.join(tmp.dir, 'cairn.db')}`;
    const env = { CAIRN_HOME: tmp.dir, CAIRN_TRACKING_URI: '', MLFLOW_TRACKING_URI: '' };
    const client = await connect(trackingUri, { env: { ...process.env, ...env } });
    const e = await expectedOf();
    try {
      await registerFixture(client, 'fraud', 2);
      await client.registry.setAlias('fraud', 'champion', '2');
    } finally {
      await client.close();
    }
    const child = spawnCli(
      ['serve', 'models:/fraud@champion', '--port', '0', '--tracking-uri', trackingUri, '--workers', '1'],
      env,
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    try {
      const [line, url] = await waitForOutput(child, /Serving .* at (http:\/\/\S+).*\n/, 30_000);
      expect(line).toMatch(/models:\/fraud@champion \(version 2\)/);
      expect(line).toMatch(/1 worker thread per model/);
      const res = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ dataframe_split: { columns: e.columns, data: e.rows } }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { predictions: number[] }).predictions).toEqual(e.predict);
      expect(res.headers.get('x-cairn-model-version')).toBe('2');
      expect(res.headers.get('x-cairn-model-uri')).toBe('models:/fraud@champion');
      expect(res.headers.get('x-cairn-route')).toBe('main');
      const meta = (await (await fetch(`${url}/v2/models/fraud`)).json()) as { versions: string[] };
      expect(meta.versions).toEqual(['2']);
    } finally {
      child.kill('SIGTERM');
      expect(await exitCode(child), stderr).toBe(0);
      await tmp.remove();
    }
  }, 60_000);
});

describe('hot reload under load (remote tracking server)', () => {
  it('follows an alias moved on a `cairn server`, loading in the worker pool, with zero failed requests', async () => {
    const remote = await startTestServer();
    const client = await connect(remote.url);
    let server: ServingHandle | undefined;
    try {
      const e = await expectedOf();
      await registerFixture(client, 'scorer', 2);
      await client.registry.setAlias('scorer', 'champion', '1');
      server = await startServing({
        port: 0,
        trackingUri: remote.url,
        reloadIntervalMs: 100,
        workers: 1,
        deployment: { routes: [{ name: 'main', model: 'models:/scorer@champion', weight: 1 }] },
      });
      expect(server.id.version).toBe('1');
      const frame = Frame.fromRecords([Object.fromEntries(e.columns.map((c) => [c, 0.5]))]);
      const load = keepScoring(
        `${server.url}/invocations`,
        JSON.stringify({ dataframe_records: frame.toRecords() }),
        8,
      );
      await sleep(300);
      const movedAt = Date.now();
      await client.registry.setAlias('scorer', 'champion', '2');
      const switchedAt = await load.firstAnswerFrom('2', 10_000);
      await sleep(300);
      const seen = await load.stop();

      expect(seen.length).toBeGreaterThan(100);
      expect(seen.filter((s) => s.status !== 200)).toEqual([]);
      expect(seen.filter((s) => s.at < movedAt).every((s) => s.version === '1')).toBe(true);
      expect(switchedAt).toBeDefined();
      expect(switchedAt! - movedAt).toBeLessThan(5000);
      expect(seen.slice(-50).every((s) => s.version === '2')).toBe(true);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/cairn_serving_reloads_total\{deployment_route="main"\} 1/);
    } finally {
      await server?.close();
      await client.close();
      await remote.stop();
    }
  }, 60_000);
});
