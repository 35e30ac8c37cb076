import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthTestServer, BACKENDS, startAuthServer } from './auth-fixture.js';

const API = '/api/2.0/mlflow';
type Creds = { username: string; password: string };

/** Every item of a paged list, one small page at a time, checking that no page but the last is short. */
async function pageAll(
  srv: AuthTestServer,
  as: Creds,
  field: string,
  request: (token: string | undefined) => { method: string; path: string; body?: unknown },
): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  let token: string | undefined;
  for (let i = 0; i < 50; i++) {
    const { method, path, body } = request(token);
    const r = await srv.call(as, method, path, body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const items = (r.body[field] as Array<Record<string, unknown>> | undefined) ?? [];
    token = r.body['next_page_token'] as string | undefined;
    if (token) expect(items.length, 'a page before the last is full').toBe(2);
    out.push(...items);
    if (!token) return out;
  }
  throw new Error('paging did not end');
}

describe.each(BACKENDS)('lists filtered by permission (%s)', (backend) => {
  let srv: AuthTestServer;
  let owner: Creds;
  let reader: Creds;
  const exps: string[] = [];
  const runsByExp: Record<string, string> = {};
  const models: string[] = [];

  beforeAll(async () => {
    srv = await startAuthServer(backend);
    owner = await srv.user('owner');
    reader = await srv.user('reader');
    // Seven experiments and models; the reader may read the 2nd, 4th and 6th of each (and owns one more).
    for (let i = 0; i < 7; i++) {
      const id = (await srv.call(owner, 'POST', `${API}/experiments/create`, { name: `e${i}` })).body[
        'experiment_id'
      ] as string;
      exps.push(id);
      const run = (await srv.call(owner, 'POST', `${API}/runs/create`, { experiment_id: id })).body[
        'run'
      ] as {
        info: { run_id: string };
      };
      runsByExp[id] = run.info.run_id;
      await srv.call(owner, 'POST', `${API}/logged-models`, { experiment_id: id, name: `lm${i}` });
      await srv.call(owner, 'POST', `${API}/registered-models/create`, { name: `m${i}` });
      await srv.call(owner, 'POST', `${API}/model-versions/create`, {
        name: `m${i}`,
        source: `runs:/${run.info.run_id}/model`,
      });
      await srv.call(owner, 'POST', `${API}/model-versions/create`, {
        name: `m${i}`,
        source: `runs:/${run.info.run_id}/model`,
      });
      models.push(`m${i}`);
      if (i % 2 === 1) {
        const grant = { username: 'reader', permission: i === 5 ? 'EDIT' : 'READ' };
        await srv.call(owner, 'POST', `${API}/experiments/permissions/create`, {
          ...grant,
          experiment_id: id,
        });
        await srv.call(owner, 'POST', `${API}/registered-models/permissions/create`, {
          ...grant,
          name: `m${i}`,
        });
      }
    }
    // A grant of NO_PERMISSIONS is not a grant to read.
    await srv.call(owner, 'POST', `${API}/experiments/permissions/create`, {
      experiment_id: exps[0],
      username: 'reader',
      permission: 'NO_PERMISSIONS',
    });
    await srv.call(reader, 'POST', `${API}/experiments/create`, { name: 'reader-own' });
  });
  afterAll(async () => srv?.stop());

  const readable = () => [exps[1], exps[3], exps[5]];

  it('experiments/search pages through exactly the readable experiments, with full pages', async () => {
    for (const method of ['GET', 'POST']) {
      const got = await pageAll(srv, reader, 'experiments', (token) =>
        method === 'GET'
          ? {
              method,
              path: `${API}/experiments/search?max_results=2${token ? `&page_token=${encodeURIComponent(token)}` : ''}`,
            }
          : {
              method,
              path: `${API}/experiments/search`,
              body: { max_results: 2, ...(token ? { page_token: token } : {}) },
            },
      );
      expect(got.map((e) => e['name']).sort()).toEqual(['e1', 'e3', 'e5', 'reader-own']);
    }
    const all = await pageAll(srv, owner, 'experiments', (token) => ({
      method: 'POST',
      path: `${API}/experiments/search`,
      body: { max_results: 2, ...(token ? { page_token: token } : {}) },
    }));
    expect(all.map((e) => e['name']).sort()).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
    const listed = await srv.call(reader, 'GET', `${API}/experiments/list`);
    expect((listed.body['experiments'] as Array<{ name: string }>).map((e) => e.name).sort()).toEqual([
      'e1',
      'e3',
      'e5',
      'reader-own',
    ]);
  });

  it('runs/search and logged-models/search return only what readable experiments hold', async () => {
    const runs = await srv.call(reader, 'POST', `${API}/runs/search`, {
      experiment_ids: exps,
      max_results: 100,
    });
    expect(runs.status).toBe(200);
    expect(
      ((runs.body['runs'] as Array<{ info: { run_id: string } }>) ?? []).map((r) => r.info.run_id).sort(),
    ).toEqual(
      readable()
        .map((e) => runsByExp[e!])
        .sort(),
    );
    const paged = await pageAll(srv, reader, 'runs', (token) => ({
      method: 'POST',
      path: `${API}/runs/search`,
      body: { experiment_ids: exps, max_results: 2, ...(token ? { page_token: token } : {}) },
    }));
    expect(paged).toHaveLength(3);
    const none = await srv.call(reader, 'POST', `${API}/runs/search`, { experiment_ids: [exps[0], exps[2]] });
    expect(none.status).toBe(200);
    expect(none.body['runs']).toBeUndefined();
    const lms = await pageAll(srv, reader, 'models', (token) => ({
      method: 'POST',
      path: `${API}/logged-models/search`,
      body: { experiment_ids: exps, max_results: 2, ...(token ? { page_token: token } : {}) },
    }));
    expect(lms.map((m) => (m['info'] as { name: string }).name).sort()).toEqual(['lm1', 'lm3', 'lm5']);
  });

  it('registered-models/search and model-versions/search page through readable models only', async () => {
    const rms = await pageAll(srv, reader, 'registered_models', (token) => ({
      method: 'GET',
      path: `${API}/registered-models/search?max_results=2${token ? `&page_token=${encodeURIComponent(token)}` : ''}`,
    }));
    expect(rms.map((m) => m['name']).sort()).toEqual(['m1', 'm3', 'm5']);
    const mvs = await pageAll(srv, reader, 'model_versions', (token) => ({
      method: 'GET',
      path: `${API}/model-versions/search?max_results=2${token ? `&page_token=${encodeURIComponent(token)}` : ''}`,
    }));
    expect(mvs.map((v) => `${v['name']}/${v['version']}`).sort()).toEqual([
      'm1/1',
      'm1/2',
      'm3/1',
      'm3/2',
      'm5/1',
      'm5/2',
    ]);
    // A filter naming a model one cannot read finds nothing rather than leaking it.
    const hidden = await srv.call(
      reader,
      'GET',
      `${API}/model-versions/search?filter=${encodeURIComponent("name = 'm2'")}`,
    );
    expect(hidden.body['model_versions']).toBeUndefined();
    const stranger = await srv.user('stranger');
    const empty = await srv.call(stranger, 'GET', `${API}/registered-models/search`);
    expect(empty.status).toBe(200);
    expect(empty.body['registered_models']).toBeUndefined();
  });
});
