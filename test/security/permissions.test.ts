import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, type AuthTestServer, BACKENDS, startAuthServer } from './auth-fixture.js';

import { API, buildWorld, type Creds, type Level, routes, type World } from './permission-world.js';

const RANK: Record<Level | 'NONE', number> = { NONE: 0, READ: 1, EDIT: 2, MANAGE: 3 };

describe.each(BACKENDS)('permissions on a live server (%s)', (backend) => {
  let srv: AuthTestServer;
  let world: World;
  const users: Record<string, Creds> = {};
  /** What each user holds on the experiment and the model ('ADMIN' bypasses). */
  const held: Record<string, Level | 'NONE' | 'ADMIN'> = {
    [ADMIN.username]: 'ADMIN',
    owner: 'MANAGE',
    manager: 'MANAGE',
    editor: 'EDIT',
    reader: 'READ',
    stranger: 'NONE',
  };

  beforeAll(async () => {
    srv = await startAuthServer(backend);
    users[ADMIN.username] = ADMIN;
    for (const name of ['owner', 'manager', 'editor', 'reader', 'stranger'])
      users[name] = await srv.user(name);
    world = await buildWorld(srv, users['owner']!);
    for (const [name, level] of [
      ['manager', 'MANAGE'],
      ['editor', 'EDIT'],
      ['reader', 'READ'],
    ] as const) {
      const grant = { username: name, permission: level };
      const e = await srv.call(users['owner']!, 'POST', `${API}/experiments/permissions/create`, {
        ...grant,
        experiment_id: world.exp,
      });
      const m = await srv.call(users['owner']!, 'POST', `${API}/registered-models/permissions/create`, {
        ...grant,
        name: world.model,
      });
      expect([e.status, m.status]).toEqual([200, 200]);
    }
  });
  afterAll(async () => srv?.stop());

  it('allows each route exactly to the users whose level reaches it, in every family', async () => {
    const failures: string[] = [];
    for (const route of routes(world)) {
      for (const [name, level] of Object.entries(held)) {
        const allowed = level === 'ADMIN' || RANK[level] >= RANK[route.level];
        const r = await srv.call(users[name], route.method, route.path, route.body);
        const ok = allowed
          ? r.status === 200
          : r.status === 403 && r.body['error_code'] === 'PERMISSION_DENIED';
        if (!ok)
          failures.push(
            `${route.family}: ${route.method} ${route.path} as ${name} (${level}) → ${r.status} ${JSON.stringify(r.body).slice(0, 120)}`,
          );
      }
    }
    expect(failures).toEqual([]);
  });

  it('needs READ on the source run to register a version from it, even on a model one manages', async () => {
    const stranger = users['stranger']!;
    expect(
      (await srv.call(stranger, 'POST', `${API}/registered-models/create`, { name: 'stranger-model' }))
        .status,
    ).toBe(200);
    for (const body of [
      { source: `runs:/${world.runId}/model` },
      { source: `mlflow-artifacts:/${world.exp}/${world.runId}/artifacts/model` },
      { source: `models:/${world.modelId}` },
      { source: `models:/${world.model}/1` },
      { source: `${srv.artifactsDir}/${world.exp}/${world.runId}/artifacts/model` },
    ]) {
      const r = await srv.call(stranger, 'POST', `${API}/model-versions/create`, {
        name: 'stranger-model',
        ...body,
      });
      expect(r.status, JSON.stringify(body)).toBe(403);
    }
    const viaRunId = await srv.call(stranger, 'POST', `${API}/model-versions/create`, {
      name: 'stranger-model',
      source: `runs:/${world.runId}/model`,
      run_id: world.runId,
    });
    expect(viaRunId.status).toBe(403);
    // A model granted without its run: the version reads, its lineage (the run's data) does not.
    await srv.call(users['owner']!, 'POST', `${API}/registered-models/create`, { name: 'shared-model' });
    await srv.call(users['owner']!, 'POST', `${API}/model-versions/create`, {
      name: 'shared-model',
      source: `runs:/${world.runId}/model`,
    });
    await srv.call(users['owner']!, 'POST', `${API}/registered-models/permissions/create`, {
      name: 'shared-model',
      username: 'stranger',
      permission: 'READ',
    });
    expect(
      (await srv.call(stranger, 'GET', `${API}/model-versions/get?name=shared-model&version=1`)).status,
    ).toBe(200);
    expect(
      (await srv.call(stranger, 'GET', `/api/2.0/cairn/model-versions/lineage?name=shared-model&version=1`))
        .status,
    ).toBe(403);
    expect(
      (
        await srv.call(
          users['reader']!,
          'GET',
          `/api/2.0/cairn/model-versions/lineage?name=${world.model}&version=1`,
        )
      ).status,
    ).toBe(200);
    // The reader may read the run, so it may register from it into a model it manages.
    const reader = users['reader']!;
    expect(
      (await srv.call(reader, 'POST', `${API}/registered-models/create`, { name: 'reader-model' })).status,
    ).toBe(200);
    const ok = await srv.call(reader, 'POST', `${API}/model-versions/create`, {
      name: 'reader-model',
      source: `runs:/${world.runId}/model`,
    });
    expect(ok.status).toBe(200);
  });

  it('gives the creator MANAGE, and lets a manager grant and revoke', async () => {
    const reader = users['reader']!;
    const created = await srv.call(reader, 'POST', `${API}/experiments/create`, { name: 'reader-own' });
    const own = created.body['experiment_id'] as string;
    expect(
      (
        await srv.call(reader, 'POST', `${API}/experiments/permissions/create`, {
          experiment_id: own,
          username: 'stranger',
          permission: 'READ',
        })
      ).status,
    ).toBe(200);
    expect(
      (await srv.call(users['stranger']!, 'GET', `${API}/experiments/get?experiment_id=${own}`)).status,
    ).toBe(200);
    expect(
      (
        await srv.call(reader, 'DELETE', `${API}/experiments/permissions/delete`, {
          experiment_id: own,
          username: 'stranger',
        })
      ).status,
    ).toBe(200);
    expect(
      (await srv.call(users['stranger']!, 'GET', `${API}/experiments/get?experiment_id=${own}`)).status,
    ).toBe(403);
    // An editor of the matrix experiment cannot grant on it, nor delete it.
    const editor = users['editor']!;
    expect(
      (
        await srv.call(editor, 'POST', `${API}/experiments/permissions/create`, {
          experiment_id: world.exp,
          username: 'stranger',
          permission: 'MANAGE',
        })
      ).status,
    ).toBe(403);
    expect(
      (await srv.call(editor, 'POST', `${API}/experiments/delete`, { experiment_id: world.exp })).status,
    ).toBe(403);
    expect((await srv.call(reader, 'POST', `${API}/experiments/delete`, { experiment_id: own })).status).toBe(
      200,
    );
  });

  it('guards runs/outputs and logged-model writes by the experiment, and answers unknown ids with 404', async () => {
    const stranger = users['stranger']!;
    const own = (await srv.call(stranger, 'POST', `${API}/experiments/create`, { name: 'stranger-own' }))
      .body['experiment_id'];
    const run = (await srv.call(stranger, 'POST', `${API}/runs/create`, { experiment_id: own })).body[
      'run'
    ] as { info: { run_id: string } };
    const link = await srv.call(stranger, 'POST', `${API}/runs/outputs`, {
      run_id: run.info.run_id,
      models: [{ model_id: world.modelId }],
    });
    expect(link.status).toBe(403);
    expect((await srv.call(stranger, 'DELETE', `${API}/logged-models/${world.modelId}`)).status).toBe(403);
    expect((await srv.call(stranger, 'POST', `${API}/runs/create`, {})).status).toBe(403); // the default experiment
    expect((await srv.call(stranger, 'GET', `${API}/experiments/get?experiment_id=987654`)).status).toBe(404);
    expect(
      (await srv.call(stranger, 'GET', `${API}/runs/get?run_id=0123456789abcdef0123456789abcdef`)).status,
    ).toBe(404);
    expect((await srv.call(stranger, 'GET', `${API}/runs/get`)).status).toBe(400);
    // Artifact paths outside an experiment's own folder are for admins: the root, `07` for `7`, other names.
    const editor = users['editor']!;
    const put = (p: string) =>
      srv.call(editor, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/${p}`, Buffer.from('x'));
    expect((await put(`0${world.exp}/x.txt`)).status).toBe(403);
    expect((await put('shared/x.txt')).status).toBe(403);
    expect((await put(`${world.exp}%2f..%2f..%2fx`)).status).toBe(400);
    expect((await srv.call(editor, 'GET', '/api/2.0/mlflow-artifacts/artifacts')).status).toBe(403);
    expect((await srv.call(ADMIN, 'GET', '/api/2.0/mlflow-artifacts/artifacts')).status).toBe(200);
  });
});

describe('a server whose default permission is READ', () => {
  let srv: AuthTestServer;
  beforeAll(async () => {
    srv = await startAuthServer('sqlite', { defaultPermission: 'READ' });
  });
  afterAll(async () => srv?.stop());

  it('lets everyone read what they were not granted, but not change it; an explicit NO_PERMISSIONS hides it', async () => {
    const owner = await srv.user('owner');
    const other = await srv.user('other');
    const exp = (await srv.call(owner, 'POST', `${API}/experiments/create`, { name: 'shared' })).body[
      'experiment_id'
    ] as string;
    expect((await srv.call(other, 'GET', `${API}/experiments/get?experiment_id=${exp}`)).status).toBe(200);
    expect(
      (
        await srv.call(other, 'POST', `${API}/experiments/set-experiment-tag`, {
          experiment_id: exp,
          key: 'k',
          value: 'v',
        })
      ).status,
    ).toBe(403);
    await srv.call(owner, 'POST', `${API}/experiments/permissions/create`, {
      experiment_id: exp,
      username: 'other',
      permission: 'NO_PERMISSIONS',
    });
    expect((await srv.call(other, 'GET', `${API}/experiments/get?experiment_id=${exp}`)).status).toBe(403);
  });
});
