import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessControl } from '../../src/auth/access.js';
import { authCoverage, installAuth } from '../../src/auth/install.js';
import { fixed, PUBLIC, registeredModel } from '../../src/auth/rules.js';
import { openServerAuth, type ServerAuth } from '../../src/auth/server-auth.js';
import { SERVER_PREFIXES, serverRules } from '../../src/auth/server-rules.js';
import { type Backends, openBackends } from '../../src/backends.js';
import { buildApp } from '../../src/server/app.js';
import { errorHandler } from '../../src/server/errors.js';
import { LocalArtifactStore } from '../../src/store/local-artifact-store.js';
import { tempDir } from '../helpers/temp.js';
import { ADMIN, basic } from './auth-fixture.js';

const admin = basic(ADMIN.username, ADMIN.password);

describe('every route has a rule (fail closed)', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let backends: Backends;
  let auth: ServerAuth;

  beforeAll(async () => {
    tmp = await tempDir();
    backends = await openBackends(`sqlite:///${path.join(tmp.dir, 'cairn.db')}`);
    auth = await openServerAuth(backends.metadataDb, {
      env: { CAIRN_ADMIN_USERNAME: ADMIN.username, CAIRN_ADMIN_PASSWORD: ADMIN.password },
    });
  });
  afterAll(async () => {
    await backends?.close();
    await tmp?.remove();
  });

  const app = () =>
    buildApp({
      tracking: backends.tracking,
      loggedModels: backends.loggedModels,
      registry: backends.registry,
      artifacts: new LocalArtifactStore(path.join(tmp.dir, 'artifacts')),
      auth,
    });

  it('finds a rule for each route buildApp registers, under both prefixes, and no rule without a route', async () => {
    const server = await app();
    const routes = authCoverage(server);
    expect(routes.length).toBeGreaterThan(150);
    expect(routes.filter((r) => !r.rule).map((r) => `${r.method} ${r.url}`)).toEqual([]);
    for (const prefix of SERVER_PREFIXES) {
      expect(routes.some((r) => r.url === `${prefix}/mlflow/runs/log-batch`)).toBe(true);
      expect(routes.some((r) => r.url === `${prefix}/mlflow/users/create`)).toBe(true);
    }
    // A rule whose key matches no route is a typo that would leave the real route unguarded.
    const keys = new Set(routes.map((r) => r.key));
    expect(Object.keys(serverRules()).filter((k) => !keys.has(k))).toEqual([]);
    // Only these are public.
    const open = [...new Set(routes.filter((r) => r.rule?.public).map((r) => r.key))].sort();
    expect(open).toEqual(['GET /health', 'GET /version']);
    await server.close();
  });

  it('refuses, even to an admin, a route added without a rule; a route may carry its own rule', async () => {
    const server = await app();
    server.get('/api/2.0/mlflow/experiments/brand-new', async () => ({ leaked: true }));
    server.post('/ajax-api/2.0/cairn/something', async () => ({ leaked: true }));
    server.get('/unlisted', async () => ({ leaked: true }));
    server.get('/open', { config: { auth: PUBLIC } }, async () => ({ open: true }));
    for (const [method, url] of [
      ['GET', '/api/2.0/mlflow/experiments/brand-new'],
      ['HEAD', '/api/2.0/mlflow/experiments/brand-new'],
      ['POST', '/ajax-api/2.0/cairn/something'],
      ['GET', '/unlisted'],
    ] as const) {
      const r = await server.inject({
        method,
        url,
        headers: admin,
        ...(method === 'POST' ? { payload: {} } : {}),
      });
      expect(r.statusCode, `${method} ${url}`).toBe(403);
      if (method !== 'HEAD') expect(r.json()).toMatchObject({ error_code: 'PERMISSION_DENIED' });
      expect((await server.inject({ method, url })).statusCode).toBe(401);
    }
    expect((await server.inject({ method: 'GET', url: '/open' })).json()).toEqual({ open: true });
    const missing = authCoverage(server)
      .filter((r) => !r.rule)
      .map((r) => r.url);
    expect(missing).toContain('/unlisted');
    await server.close();
  });

  it('guards another server with its own table (what `cairn serve` would pass)', async () => {
    const serving = Fastify();
    serving.setErrorHandler(errorHandler);
    installAuth(serving, {
      auth: auth.auth,
      access: new AccessControl(auth.auth.permissions),
      rules: {
        'GET /ping': PUBLIC,
        'GET /health': PUBLIC,
        'GET /ping-too': PUBLIC,
        'POST /invocations': registeredModel('READ', fixed('served-model')),
      },
    });
    serving.get('/ping', async () => 'pong');
    serving.post('/invocations', async () => ({ predictions: [1] }));
    serving.get('/metrics', async () => 'secret_total 1');
    // A route of several methods: the one without a rule is refused, not given its sibling's rule.
    serving.route({ method: ['GET', 'PUT'], url: '/ping-too', handler: async () => 'pong' });
    await auth.auth.createUser('serving-reader', 'serving-reader-pw');
    await auth.auth.createUser('serving-stranger', 'serving-stranger-pw');
    await backends.registry.createRegisteredModel({ name: 'served-model', tags: [] });
    const reader = await auth.auth.getUser('serving-reader');
    await auth.auth.permissions.setRegisteredModelPermission('served-model', reader.id, 'READ');

    expect((await serving.inject({ method: 'GET', url: '/ping' })).statusCode).toBe(200);
    const call = (headers: Record<string, string>) =>
      serving.inject({ method: 'POST', url: '/invocations', headers, payload: { inputs: [[1]] } });
    expect((await call({})).statusCode).toBe(401);
    expect((await call(basic('serving-stranger', 'serving-stranger-pw'))).statusCode).toBe(403);
    expect((await call(basic('serving-reader', 'serving-reader-pw'))).json()).toEqual({ predictions: [1] });
    expect((await serving.inject({ method: 'GET', url: '/metrics', headers: admin })).statusCode).toBe(403);
    expect((await serving.inject({ method: 'GET', url: '/ping-too' })).statusCode).toBe(200);
    expect((await serving.inject({ method: 'PUT', url: '/ping-too' })).statusCode).toBe(401);
    expect((await serving.inject({ method: 'PUT', url: '/ping-too', headers: admin })).statusCode).toBe(403);
    await serving.close();
  });
});
