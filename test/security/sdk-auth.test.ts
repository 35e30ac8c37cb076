import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/client/index.js';
import { Frame } from '../../src/core/frame.js';
import { ROOT } from '../helpers/cli.js';
import { type AuthTestServer, startAuthServer } from './auth-fixture.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/models/xgboost/binary');

describe('the SDK against an auth-enabled server', () => {
  let srv: AuthTestServer;
  let token: string;
  beforeAll(async () => {
    srv = await startAuthServer('sqlite');
    const erin = await srv.user('erin');
    await srv.user('frank');
    token = (await srv.call(erin, 'POST', '/api/2.0/cairn/tokens/create', { name: 'sdk' })).body[
      'token'
    ] as string;
  });
  afterAll(async () => srv?.stop());

  it('tracks, logs artifacts, registers and loads a model with MLFLOW_TRACKING_USERNAME / PASSWORD', async () => {
    const expected = JSON.parse(await readFile(path.join(FIXTURE, 'expected.json'), 'utf8')) as {
      columns: string[];
      rows: number[][];
    };
    const frame = Frame.fromRecords(
      expected.rows.map((r) => Object.fromEntries(expected.columns.map((c, i) => [c, r[i] ?? Number.NaN]))),
      Object.fromEntries(expected.columns.map((c) => [c, 'double'])),
    );
    const client = await connect(srv.url, {
      env: { MLFLOW_TRACKING_USERNAME: 'erin', MLFLOW_TRACKING_PASSWORD: 'erin-password' },
    });
    try {
      const run = await client.startRun({ experiment: 'erin-exp', name: 'r1', captureEnvironment: false });
      await run.logParams({ lr: 0.1 });
      run.logMetric('loss', 0.5, 1);
      await run.logText('hello', 'notes/hello.txt');
      const logged = await client.logModel(run, path.join(FIXTURE, 'json/model.json'), {
        inferFrom: frame,
        registeredModelName: 'erin-model',
      });
      await run.end();
      await client.registry.setAlias('erin-model', 'champion', logged.modelVersion!.version);
      const model = await client.loadModel('models:/erin-model@champion');
      expect(model.flavor).toBe('xgboost');
      await model.close();
      const got = await client.tracking.getRun(run.id);
      expect(got.data.metrics.map((m) => m.key)).toEqual(['loss']);
    } finally {
      await client.close();
    }
  });

  it('works with MLFLOW_TRACKING_TOKEN, and another user cannot read what erin made', async () => {
    const byToken = await connect(srv.url, { env: { MLFLOW_TRACKING_TOKEN: token } });
    const frank = await connect(srv.url, {
      env: { MLFLOW_TRACKING_USERNAME: 'frank', MLFLOW_TRACKING_PASSWORD: 'frank-password' },
    });
    try {
      const exp = await byToken.tracking.getExperimentByName('erin-exp');
      const runs = await byToken.tracking.searchRuns({ experimentIds: [exp.experiment_id] });
      expect(runs.items).toHaveLength(1);
      await expect(frank.tracking.getExperimentByName('erin-exp')).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
      });
      await expect(frank.loadModel('models:/erin-model@champion')).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
      });
      expect((await frank.tracking.searchExperiments()).items.map((e) => e.name)).toEqual([]);
      const wrong = await connect(srv.url, {
        env: { MLFLOW_TRACKING_USERNAME: 'erin', MLFLOW_TRACKING_PASSWORD: 'nope' },
      });
      await expect(wrong.tracking.searchExperiments()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      await wrong.close();
    } finally {
      await byToken.close();
      await frank.close();
    }
  });
});
