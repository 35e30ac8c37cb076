import path from 'node:path';
import { authCoverage } from '../../src/auth/install.js';
import { type RouteEntry, routesOf } from '../../src/server/route-table.js';
import { startServing } from '../../src/serving/server.js';
import { ROOT } from '../helpers/cli.js';
import { listTree } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';
import { ADMIN, type AuthTestServer, basic, startAuthServer } from './auth-fixture.js';
import type { KnownSecrets } from './auth-fuzz-gen.js';
import { dumpStore } from './sqlite-rows.js';

const API = '/api/2.0/mlflow';
const XGB_DIR = path.join(ROOT, 'test/fixtures/models/xgboost/binary/json');

/** A live server with auth on, seeded, and what the fuzz needs to aim at it and check it after. */
export interface AuthFuzzTarget {
  url: string;
  routes: readonly RouteEntry[];
  /** Rule keys (`GET /health`) of the public routes. */
  publicKeys: Set<string>;
  /** Real ids and names, for path parameters. */
  seeded: string[];
  secrets: KnownSecrets;
  /** Every row of the server's SQLite stores (and its artifact files). */
  snapshot(): Promise<string>;
  /** Throws unless the server still answers an admin's ordinary request. */
  stillServes(): Promise<void>;
  stop(): Promise<void>;
}

function publicKeysOf(app: Parameters<typeof authCoverage>[0]): Set<string> {
  return new Set(authCoverage(app).flatMap((c) => (c.rule?.public ? [c.key] : [])));
}

const fileOf = (sqliteUri: string) => sqliteUri.replace(/^sqlite:\/\//, '');

/** Users, a token and a grant on a `cairn server --auth` (what both targets authenticate against). */
async function seedTracking(s: AuthTestServer) {
  const admin = async (method: string, route: string, body?: unknown) => {
    const r = await s.call(ADMIN, method, API + route, body);
    if (r.status !== 200) throw new Error(`seed ${route}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const exp = String((await admin('POST', '/experiments/create', { name: 'fuzz' }))['experiment_id']);
  const run = (await admin('POST', '/runs/create', { experiment_id: exp }))['run'] as {
    info: { run_id: string };
  };
  await admin('POST', '/registered-models/create', { name: 'fuzz-model' });
  const alice = await s.user('alice');
  await admin('POST', '/experiments/permissions/create', {
    experiment_id: exp,
    username: 'alice',
    permission: 'EDIT',
  });
  const token = await s.call(ADMIN, 'POST', '/api/2.0/cairn/tokens/create', {
    name: 'fuzz',
    username: 'alice',
  });
  if (token.status !== 200 || !String(token.body['token']).startsWith('cairn_'))
    throw new Error('seed token');
  const secrets: KnownSecrets = {
    usernames: [ADMIN.username, alice.username],
    passwords: [ADMIN.password, alice.password],
    tokens: [String(token.body['token'])],
  };
  return { exp, runId: run.info.run_id, secrets };
}

/** `cairn server --auth` over SQLite. */
export async function trackingTarget(): Promise<AuthFuzzTarget> {
  const s = await startAuthServer('sqlite');
  const { exp, runId, secrets } = await seedTracking(s);
  return {
    url: s.url,
    routes: routesOf(s.server.app),
    publicKeys: publicKeysOf(s.server.app),
    seeded: [exp, runId, 'fuzz-model', '1', 'alice', ADMIN.username],
    secrets,
    snapshot: async () => dumpStore(fileOf(s.storeUri)) + JSON.stringify(await listTree(s.artifactsDir)),
    async stillServes() {
      const r = await s.call(ADMIN, 'GET', `${API}/experiments/get?experiment_id=${exp}`);
      if (r.status !== 200) throw new Error(`admin read: ${r.status}`);
    },
    stop: () => s.stop(),
  };
}

/** `cairn serve --auth` of a model directory, users from a tracking store, with the inference log. */
export async function scoringTarget(): Promise<AuthFuzzTarget> {
  const tracking = await startAuthServer('sqlite');
  const { secrets } = await seedTracking(tracking);
  const tmp = await tempDir();
  const logUri = `sqlite:///${path.join(tmp.dir, 'log.db')}`;
  const serving = await startServing({
    modelDir: XGB_DIR,
    workers: 0,
    port: 0,
    auth: true,
    authStore: tracking.storeUri,
    inferenceLog: logUri,
  });
  return {
    url: serving.url,
    routes: routesOf(serving.app),
    publicKeys: publicKeysOf(serving.app),
    seeded: [serving.id.name, '1'],
    secrets,
    snapshot: async () => dumpStore(fileOf(tracking.storeUri)) + dumpStore(fileOf(logUri)),
    async stillServes() {
      const columns = ['x0', 'x1', 'x2', 'x3', 'x4', 'x5'];
      const res = await fetch(`${serving.url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...basic(ADMIN.username, ADMIN.password) },
        body: JSON.stringify({ dataframe_split: { columns, data: [[1, 2, 3, 4, 5, 6]] } }),
      });
      if (res.status !== 200) throw new Error(`admin scoring: ${res.status} ${await res.text()}`);
    },
    async stop() {
      await serving.close();
      await tracking.stop();
      await tmp.remove();
    },
  };
}
