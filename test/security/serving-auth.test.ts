import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authCoverage } from '../../src/auth/install.js';
import { connect } from '../../src/client/index.js';
import { Frame } from '../../src/core/frame.js';
import { type ServingHandle, startServing } from '../../src/serving/server.js';
import { exitCode, ROOT, spawnCli, waitForOutput } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { ADMIN, type AuthTestServer, BACKENDS, basic, startAuthServer } from './auth-fixture.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/models/xgboost/binary');
const ADMIN_ENV = {
  MLFLOW_TRACKING_USERNAME: ADMIN.username,
  MLFLOW_TRACKING_PASSWORD: ADMIN.password,
  MLFLOW_TRACKING_TOKEN: '',
};

interface Expected {
  columns: string[];
  rows: Array<Array<number | null>>;
  predict: number[];
}

/** `cairn serve --auth`: the same users, tokens and grants as `cairn server --auth`, on the scoring routes. */
describe.each(BACKENDS)('cairn serve --auth over %s', (backend) => {
  let tracking: AuthTestServer;
  let serving: ServingHandle;
  let expected: Expected;
  let reader: { username: string; password: string };
  let stranger: { username: string; password: string };
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    expected = JSON.parse(await readFile(path.join(FIXTURE, 'expected.json'), 'utf8')) as Expected;
    tracking = await startAuthServer(backend);
    const client = await connect(tracking.url, { env: { ...process.env, ...ADMIN_ENV } });
    try {
      const run = await client.startRun({ experiment: 'serving-auth', captureEnvironment: false });
      await run.logArtifacts(path.join(FIXTURE, 'json'), 'model');
      await run.end();
      await client.registry.createRegisteredModel({ name: 'fraud' });
      await client.registry.createModelVersion({
        name: 'fraud',
        source: `runs:/${run.id}/model`,
        runId: run.id,
      });
    } finally {
      await client.close();
    }
    reader = await tracking.user('reader');
    stranger = await tracking.user('stranger');
    const grant = await tracking.call(ADMIN, 'POST', '/api/2.0/mlflow/registered-models/permissions/create', {
      name: 'fraud',
      username: 'reader',
      permission: 'READ',
    });
    expect(grant.status).toBe(200);
    // The scoring server resolves the model through the tracking server, as the admin.
    for (const [k, v] of Object.entries(ADMIN_ENV)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    serving = await startServing({
      modelUri: 'models:/fraud/1',
      trackingUri: tracking.url,
      port: 0,
      workers: 0,
      auth: true,
      authStore: tracking.storeUri,
    });
  });

  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await serving?.close();
    await tracking?.stop();
  });

  const score = (headers: Record<string, string>) =>
    fetch(`${serving.url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ dataframe_split: { columns: expected.columns, data: expected.rows } }),
    });

  it('keeps health and readiness public for load balancers', async () => {
    for (const p of ['/ping', '/health', '/version', '/v2/health/live', '/v2/health/ready'])
      expect((await fetch(serving.url + p)).status, p).toBe(200);
  });

  it('asks for credentials, refuses a stranger and scores for a reader of the registered model', async () => {
    const none = await score({});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm="cairn"/);
    expect(((await none.json()) as { error_code: string }).error_code).toBe('UNAUTHENTICATED');

    const wrong = await score(basic('reader', 'not-the-password'));
    expect(wrong.status).toBe(401);

    const denied = await score(basic(stranger.username, stranger.password));
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error_code: string }).error_code).toBe('PERMISSION_DENIED');

    const ok = await score(basic(reader.username, reader.password));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { predictions: number[] }).predictions).toEqual(expected.predict);
    expect(ok.headers.get('x-cairn-model-version')).toBe('1');
  });

  it('takes API tokens made on the tracking server, and guards the OIP model routes and metrics', async () => {
    const made = await tracking.call(reader, 'POST', '/api/2.0/cairn/tokens/create', { name: 'scoring' });
    expect(made.status).toBe(200);
    const bearer = { authorization: `Bearer ${made.body['token'] as string}` };
    expect((await score(bearer)).status).toBe(200);
    expect((await fetch(`${serving.url}/v2/models/fraud`, { headers: bearer })).status).toBe(200);
    const strangerMeta = await fetch(`${serving.url}/v2/models/fraud`, {
      headers: basic(stranger.username, stranger.password),
    });
    expect(strangerMeta.status).toBe(403);
    expect((await fetch(`${serving.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${serving.url}/metrics`, { headers: bearer })).status).toBe(200);
  });

  it('has a rule for every scoring route (fail closed)', () => {
    const routes = authCoverage(serving.app);
    expect(routes.length).toBeGreaterThan(10);
    expect(routes.filter((r) => r.rule === undefined).map((r) => r.key)).toEqual([]);
  });
});

describe('cairn serve without auth', () => {
  const model = {
    flavor: 'stub',
    signature: {
      inputs: [{ name: 'x', type: 'double' as const }],
      outputs: [{ name: 'y', type: 'double' as const }],
    },
    predict: async (f: Frame) => Frame.fromColumns({ y: f.get('x')!.values as Float64Array }),
  };

  it('warns loudly when bound beyond loopback, and not on loopback', async () => {
    const warnings: string[] = [];
    const open = await startServing({ model, host: '0.0.0.0', port: 0, warn: (m) => void warnings.push(m) });
    await open.close();
    expect(warnings.join('')).toMatch(
      /WARNING: cairn serve is listening on 0\.0\.0\.0 WITHOUT authentication/,
    );
    const local = await startServing({ model, port: 0, warn: (m) => void warnings.push(m) });
    await local.close();
    expect(warnings).toHaveLength(1);
  });

  it('refuses --auth over a remote store: credentials are checked against the database', async () => {
    await expect(
      startServing({ model, port: 0, auth: true, authStore: 'http://127.0.0.1:5000' }),
    ).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });
});

describe('cairn serve --auth from the command line', () => {
  it('takes --auth and --auth-store: scoring needs credentials, health does not', async () => {
    const tmp = await tempDir();
    const child = spawnCli([
      'serve',
      path.join(FIXTURE, 'json'),
      '--port',
      '0',
      '--auth',
      '--auth-store',
      `sqlite:///${path.join(tmp.dir, 'users.db')}`,
      '--allowed-hosts',
      '127.0.0.1,localhost',
    ]);
    try {
      const [, url] = await waitForOutput(child, /Serving .* at (http:\/\/\S+)/, 30_000);
      expect((await fetch(`${url}/ping`)).status).toBe(200);
      const res = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"inputs": [[1, 2, 3, 4, 5, 6]]}',
      });
      expect(res.status).toBe(401);
    } finally {
      child.kill('SIGTERM');
      expect(await exitCode(child)).toBe(0);
      await tmp.remove();
    }
  }, 60_000);
});
