import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../server/start.js';
import type { KeyValue } from '../tracking/types.js';
import type { CairnClient } from './client.js';
import { connect } from './connect.js';
import { ENV_TAGS } from './environment.js';
import * as wandb from './wandb.js';

const REPO = path.resolve(import.meta.dirname, '../..');

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const tagOf = (tags: KeyValue[], key: string) => tags.find((t) => t.key === key)?.value;

interface Mode {
  name: string;
  setup(): Promise<{ uri: string; env: NodeJS.ProcessEnv; artifactsDir: string; teardown(): Promise<void> }>;
}

const MODES: Mode[] = [
  {
    name: 'embedded SQLite',
    async setup() {
      const home = await mkdtemp(path.join(tmpdir(), 'cairn-client-home-'));
      const env = { CAIRN_HOME: home };
      return {
        uri: '',
        env,
        artifactsDir: path.join(home, 'artifacts'),
        teardown: () => rm(home, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'remote server',
    async setup() {
      const dir = await mkdtemp(path.join(tmpdir(), 'cairn-client-server-'));
      const server: RunningServer = await startServer({
        port: 0,
        backendStoreUri: `sqlite:///${path.join(dir, 'db.sqlite')}`,
        artifactsDestination: path.join(dir, 'art'),
      });
      const teardown = async () => {
        await server.close();
        await rm(dir, { recursive: true, force: true });
      };
      return { uri: server.url, env: {}, artifactsDir: path.join(dir, 'art'), teardown };
    },
  },
];

describe.each(MODES)('the SDK against $name', (mode) => {
  let ctx: Awaited<ReturnType<Mode['setup']>>;
  let client: CairnClient;
  let files: string;

  beforeAll(async () => {
    ctx = await mode.setup();
    client = await connect(ctx.uri || undefined, { env: ctx.env });
    files = await mkdtemp(path.join(tmpdir(), 'cairn-client-files-'));
    await writeFile(path.join(files, 'model.txt'), 'weights');
    await mkdir(path.join(files, 'data', 'sub'), { recursive: true });
    await writeFile(path.join(files, 'data', 'a.csv'), 'x,y\n1,2\n');
    await writeFile(path.join(files, 'data', 'sub', 'b.bin'), Buffer.from([0, 1, 2, 255]));
  });

  afterAll(async () => {
    await client?.close();
    await ctx?.teardown();
    await rm(files, { recursive: true, force: true });
  });

  it('connects in the expected mode', () => {
    expect(client.mode).toBe(ctx.uri ? 'remote' : 'embedded');
  });

  it('logs 20k metric points from a training loop without waiting, and end() stores them all', async () => {
    const run = await client.startRun({ experiment: 'training-loop', captureEnvironment: false });
    for (let step = 0; step < 10_000; step++) {
      const ok = run.logMetrics({ loss: 1 / (step + 1), acc: step / 10_000 }, step);
      expect(ok).toBe(true);
    }
    // The loop is synchronous: had a call waited on I/O, some log-batch would have completed by now.
    expect(run.metricBatchesSent).toBe(0);
    await run.end();
    expect(run.metricBatchesSent).toBe(20);
    expect(run.info.status).toBe('FINISHED');
    expect(run.info.end_time).toBeGreaterThan(0);
    const loss = await client.tracking.getMetricHistory(run.id, 'loss', { maxResults: 25_000 });
    expect(loss.items).toHaveLength(10_000);
    const sorted = [...loss.items].sort((a, b) => a.step - b.step);
    expect(sorted.map((m) => m.step)).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    expect(sorted[9]!.value).toBeCloseTo(0.1);
    expect(
      (await client.tracking.getMetricHistory(run.id, 'acc', { maxResults: 25_000 })).items,
    ).toHaveLength(10_000);
    await expect(run.end()).resolves.toBeUndefined();
  });

  it('round-trips artifacts: a file, a directory, text and dicts', async () => {
    const run = await client.startRun({ experiment: 'artifacts', captureEnvironment: false });
    await run.logArtifact(path.join(files, 'model.txt'), 'models');
    await run.logArtifacts(path.join(files, 'data'), 'data');
    await run.logArtifacts(path.join(files, 'data'));
    await run.logText('hello', 'notes/readme.txt');
    await run.logDict({ a: 1, b: [true] }, 'cfg/config.json');
    await run.logDict({ a: 1 }, 'cfg/config.yaml');
    await run.end();

    const store = await client.artifactsFor(run.id);
    expect(await readAll(await store.get('models/model.txt'))).toBe('weights');
    expect(await readAll(await store.get('data/a.csv'))).toBe('x,y\n1,2\n');
    expect(await readAll(await store.get('sub/b.bin'))).toBe(Buffer.from([0, 1, 2, 255]).toString('utf8'));
    expect(await readAll(await store.get('notes/readme.txt'))).toBe('hello');
    expect(JSON.parse(await readAll(await store.get('cfg/config.json')))).toEqual({ a: 1, b: [true] });
    expect(await readAll(await store.get('cfg/config.yaml'))).toBe('a: 1\n');
    expect(await store.list('data')).toEqual([
      { path: 'data/a.csv', is_dir: false, file_size: 8 },
      { path: 'data/sub', is_dir: true },
    ]);
    expect((await store.list('')).map((f) => f.path)).toEqual([
      'a.csv',
      'cfg',
      'data',
      'models',
      'notes',
      'sub',
    ]);

    // On disk (the embedded root, or the server's artifact destination): <experiment>/<run>/artifacts/…
    const onDisk = path.join(
      ctx.artifactsDir,
      run.info.experiment_id,
      run.id,
      'artifacts',
      'data',
      'sub',
      'b.bin',
    );
    expect([...(await readFile(onDisk))]).toEqual([0, 1, 2, 255]);
    // The same store through the other spellings.
    expect((await (await client.artifactsFor(run)).list('models')).map((f) => f.path)).toEqual([
      'models/model.txt',
    ]);
    expect(await (await client.artifactsFor(run.info.artifact_uri)).list('notes')).toHaveLength(1);
  });

  it('captures the environment as run tags, and the seed as a tag and a param', async () => {
    const run = await client.startRun({
      experiment: 'env',
      seed: 42,
      tags: { team: 'fraud' },
      name: 'env-run',
    });
    await run.end();
    const { data, info } = await client.tracking.getRun(run.id);
    const tags = data.tags;
    expect(info.run_name).toBe('env-run');
    expect(tagOf(tags, 'mlflow.source.type')).toBe('LOCAL');
    expect(tagOf(tags, 'mlflow.user')).toBeTruthy();
    expect(info.user_id).toBe(tagOf(tags, 'mlflow.user'));
    expect(tagOf(tags, 'mlflow.source.name')).toBe(process.argv[1]);
    expect(tagOf(tags, ENV_TAGS.nodeVersion)).toBe(process.version);
    expect(tagOf(tags, ENV_TAGS.platform)).toBe(`${process.platform}-${process.arch}`);
    expect(tagOf(tags, ENV_TAGS.command)).toContain('node');
    expect(tagOf(tags, 'mlflow.source.git.commit')).toMatch(/^[0-9a-f]{40}$/);
    expect(['true', 'false']).toContain(tagOf(tags, ENV_TAGS.gitDirty));
    const packages = JSON.parse(tagOf(tags, ENV_TAGS.packages) ?? '{}') as Record<string, string>;
    const kysely = JSON.parse(
      await readFile(path.join(REPO, 'node_modules/kysely/package.json'), 'utf8'),
    ) as { version: string };
    expect(packages['kysely']).toBe(kysely.version);
    const lock = createHash('sha256')
      .update(await readFile(path.join(REPO, 'package-lock.json')))
      .digest('hex');
    expect(tagOf(tags, ENV_TAGS.lockfile)).toBe(lock);
    expect(tagOf(tags, ENV_TAGS.seed)).toBe('42');
    expect(tagOf(tags, 'team')).toBe('fraud');
    expect(data.params).toEqual([{ key: 'seed', value: '42' }]);
  });

  it('logs params (over 100, stringified), tags and a dataset input', async () => {
    const run = await client.startRun({ experiment: 'params', captureEnvironment: false });
    const many = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`p${i}`, i]));
    await run.logParams({ ...many, lr: 0.01, layers: [64, 32], name: 'mlp', skip: undefined });
    await run.setTags({ stage: 'dev', ok: true });
    await run.logInput({
      name: 'train',
      source: 's3://bucket/train.parquet',
      schema: { cols: ['a'] },
      context: 'training',
    });
    await run.end();
    const { data, inputs } = await client.tracking.getRun(run.id);
    expect(data.params).toHaveLength(153);
    expect(tagOf(data.params, 'layers')).toBe('[64,32]');
    expect(tagOf(data.params, 'lr')).toBe('0.01');
    expect(tagOf(data.tags, 'ok')).toBe('true');
    const input = inputs.dataset_inputs[0]!;
    expect(input.dataset).toMatchObject({
      name: 'train',
      source_type: 's3',
      source: 's3://bucket/train.parquet',
    });
    expect(input.dataset.digest).toMatch(/^[0-9a-f]{8}$/);
    expect(input.tags).toEqual([{ key: 'mlflow.data.context', value: 'training' }]);
  });

  it('surfaces a background error at end(): logging to a deleted run', async () => {
    const run = await client.startRun({ experiment: 'deleted', captureEnvironment: false });
    await client.tracking.deleteRun(run.id);
    for (let i = 0; i < 1500; i++) run.logMetric('loss', i, i);
    await expect(run.end()).rejects.toMatchObject({ name: 'CairnError', code: 'INVALID_PARAMETER_VALUE' });
    expect(() => run.logMetric('loss', 1)).toThrow(/has ended/);
    expect(run.ended).toBe(true);
  });

  it('checks metric keys and values synchronously', async () => {
    const run = await client.startRun({ captureEnvironment: false });
    expect(() => run.logMetric('bad key!', 1)).toThrow(/Invalid metric name/);
    expect(() => run.logMetrics({ loss: 'x' as unknown as number })).toThrow(/must be a number/);
    expect(() => run.logMetric('loss', 1, 1.5)).toThrow(/step must be an integer/);
    await run.end('KILLED');
    expect((await client.tracking.getRun(run.id)).info.status).toBe('KILLED');
  });

  it('ends a run at the end of an `await using` block', async () => {
    let id = '';
    {
      await using run = await client.startRun({ captureEnvironment: false });
      id = run.id;
      run.logMetric('m', 2);
    }
    const got = await client.tracking.getRun(id);
    expect(got.info.status).toBe('FINISHED');
    expect(got.data.metrics).toMatchObject([{ key: 'm', value: 2 }]);
  });

  it('supports wandb-style init / log / finish on the client', async () => {
    const run = await client.init({
      project: 'wandb-client',
      config: { lr: 0.1 },
      tags: ['baseline'],
      captureEnvironment: false,
    });
    client.log({ loss: 1 });
    client.log({ loss: 0.5, val: { acc: 0.7 } });
    await client.finish();
    expect(client.currentRun).toBeUndefined();
    const history = await client.tracking.getMetricHistory(run.id, 'loss');
    expect(history.items.map((m) => m.step).sort()).toEqual([0, 1]);
    expect((await client.tracking.getMetricHistory(run.id, 'val.acc')).items[0]).toMatchObject({
      value: 0.7,
      step: 1,
    });
    expect(tagOf((await client.tracking.getRun(run.id)).data.tags, 'baseline')).toBe('true');
  });

  it('supports the module-level wandb API', async () => {
    const run = await wandb.init({
      project: 'wandb-module',
      config: { lr: 0.1, opt: { name: 'adam', betas: [0.9, 0.99] } },
      name: 'wb',
      captureEnvironment: false,
      ...(ctx.uri ? { uri: ctx.uri } : {}),
      connect: { env: ctx.env },
    });
    expect(wandb.currentRun()).toBe(run);
    wandb.log({ loss: 1 });
    wandb.log({ loss: 0.5 });
    wandb.log({ loss: 0.2 }, { step: 10 });
    wandb.log({ loss: 0.1 });
    expect(() => wandb.log({ loss: 'high' })).toThrow(/must be a number/);
    await wandb.finish();
    expect(wandb.currentRun()).toBeUndefined();
    expect(() => wandb.log({ loss: 1 })).toThrow(/init\(\) first/);

    const got = await client.tracking.getRun(run.id);
    expect(got.info.status).toBe('FINISHED');
    expect((await client.tracking.getExperiment(got.info.experiment_id)).name).toBe('wandb-module');
    expect(Object.fromEntries(got.data.params.map((p) => [p.key, p.value]))).toEqual({
      lr: '0.1',
      'opt.name': 'adam',
      'opt.betas': '[0.9,0.99]',
    });
    const steps = (await client.tracking.getMetricHistory(run.id, 'loss')).items.map((m) => m.step);
    expect(steps.sort((a, b) => a - b)).toEqual([0, 1, 10, 11]);
  });

  it('ends live runs on close, and removes its exit hooks once no run is live', async () => {
    const before = process.listenerCount('SIGTERM');
    const other = await connect(ctx.uri || undefined, { env: ctx.env });
    const run = await other.startRun({ captureEnvironment: false });
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    run.logMetric('m', 1);
    await other.close();
    expect(process.listenerCount('SIGTERM')).toBe(before);
    const got = await client.tracking.getRun(run.id);
    expect(got.info.status).toBe('FINISHED');
    expect(got.data.metrics).toHaveLength(1);
    await expect(other.startRun()).rejects.toThrow(/closed/);
  });
});
