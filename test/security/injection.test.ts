import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.js';
import { BACKENDS, leaksInternals, startSecurityServer } from './backends.js';
import { snapshotStore } from './store-snapshot.js';

const API = '/api/2.0/mlflow';

/** What follows a field in an injection-shaped filter. None of them matches any seeded entity. */
const SUFFIXES = [
  "= '' OR 1=1 --'",
  "= 'x'; DROP TABLE experiments; --",
  "= 'x' OR '1'='1'",
  '= "x\\" OR 1=1 --"',
  "LIKE 'zz%' OR 1=1",
  "= 'x' UNION SELECT name FROM experiments --",
  "IN ('zz'); DELETE FROM runs",
  "= 'x'' OR ''1''=''1'",
  "= 'x\\' OR 1=1 --'",
  "= '\u0000'",
  "= 'nothing\u202eing'",
  "= '%'",
  "= '_'",
  "LIKE '\\%'",
  "= 'zz' AND 1=1",
  '= (SELECT 1)',
  '= x',
  '= 1/0',
  "= 'zz' --",
  "= 'zz';",
  "=== 'zz'",
  "~ 'zz'",
  "= 'zz' ) OR ( 1=1",
  "= 'zz' /*",
  "= 'zz\\'; DROP TABLE runs; --'",
  'IN (SELECT name FROM experiments)',
  "= 'zz' COLLATE NOCASE",
  '= $$zz$$',
  "= E'\\x27'",
];

const ORDER_BY = [
  'name; DROP TABLE experiments',
  'name ASC, (SELECT 1)',
  'name DESC --',
  '`x` DESC; --',
  'name ASC LIMIT 1',
  "params.`p'; DROP TABLE runs; --` DESC",
  'CASE WHEN 1=1 THEN name END',
  '1',
];

interface Endpoint {
  name: string;
  fields: string[];
  search(
    filter: string | undefined,
    orderBy?: string,
  ): Promise<{ status: number; items: unknown[]; text: string }>;
}

describe.each(BACKENDS)('injection-shaped search filters (%s)', (backend) => {
  let s: TestServer;
  let expIds: string[] = [];
  let endpoints: Endpoint[];
  beforeAll(async () => {
    s = await startSecurityServer(backend);
    const post = async (route: string, body: unknown) => {
      const res = await s.json('POST', API + route, body);
      expect(res.status, `${route} ${JSON.stringify(res.body)}`).toBe(200);
      return res.body;
    };
    for (const name of ["O'Brien", '100%_done', 'a_b', 'axb', 'ünïcödé', 'semi;colon; DROP TABLE runs']) {
      expIds.push(
        String(
          (await post('/experiments/create', { name, tags: [{ key: 't', value: name }] }))['experiment_id'],
        ),
      );
    }
    expIds = ['0', ...expIds];
    for (const value of ["'; DROP TABLE runs; --", '50%', 'a_b', 'plain']) {
      const run = await post('/runs/create', { experiment_id: expIds[1], run_name: `run ${value}` });
      const runId = (run['run'] as { info: { run_id: string } }).info.run_id;
      await post('/runs/log-batch', {
        run_id: runId,
        params: [{ key: 'p', value }],
        tags: [{ key: 't', value }],
        metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }],
      });
      await post('/logged-models', {
        experiment_id: expIds[1],
        name: `lm-${value.length}`,
        params: [{ key: 'p', value }],
      });
    }
    for (const name of ["model'q", 'model_1', 'modelx1']) {
      await post('/registered-models/create', { name, tags: [{ key: 't', value: name }] });
      await post('/model-versions/create', { name, source: 'mlflow-artifacts:/0/model' });
    }
    const read = async (
      method: 'GET' | 'POST',
      route: string,
      field: string,
      body: Record<string, unknown>,
    ) => {
      const res =
        method === 'POST'
          ? await s.json('POST', API + route, body)
          : await s.json(
              'GET',
              `${API}${route}?${new URLSearchParams(Object.entries(body).map(([k, v]): [string, string] => [k, String(v)]))}`,
            );
      return {
        status: res.status,
        items: (res.body[field] as unknown[]) ?? [],
        text: JSON.stringify(res.body),
      };
    };
    const opt = (filter: string | undefined, orderBy: string | undefined) => ({
      ...(filter !== undefined ? { filter } : {}),
      ...(orderBy !== undefined ? { order_by: orderBy } : {}),
    });
    endpoints = [
      {
        name: 'runs',
        fields: [
          'attributes.run_name',
          'params.p',
          'tags.t',
          "params.`p'; DROP TABLE runs;--`",
          'tags."t"" OR 1=1"',
        ],
        search: (f, o) =>
          read('POST', '/runs/search', 'runs', {
            experiment_ids: expIds,
            ...opt(f, o),
            ...(o ? { order_by: [o] } : {}),
          }),
      },
      {
        name: 'experiments',
        fields: ['name', 'tags.t', "tags.`t' OR 1=1`"],
        search: (f, o) =>
          read('POST', '/experiments/search', 'experiments', {
            ...opt(f, o),
            ...(o ? { order_by: [o] } : {}),
          }),
      },
      {
        name: 'registered models',
        fields: ['name', 'tags.t'],
        search: (f, o) => read('GET', '/registered-models/search', 'registered_models', opt(f, o)),
      },
      {
        name: 'model versions',
        fields: ['name', 'run_id', 'tags.t'],
        search: (f, o) => read('GET', '/model-versions/search', 'model_versions', opt(f, o)),
      },
      {
        name: 'logged models',
        fields: ['name', 'params.p', 'tags.t'],
        search: (f, o) =>
          read('POST', '/logged-models/search', 'models', {
            experiment_ids: expIds,
            ...(f !== undefined ? { filter: f } : {}),
            ...(o ? { order_by: [{ field_name: o }] } : {}),
          }),
      },
    ];
  });
  afterAll(async () => s.stop());

  it('answers every injection-shaped filter with a clear 400 or a literal (empty) match, and changes nothing', async () => {
    const before = await snapshotStore(s);
    for (const ep of endpoints) {
      for (const field of ep.fields) {
        for (const suffix of SUFFIXES) {
          const filter = `${field} ${suffix}`;
          const res = await ep.search(filter);
          const what = `${ep.name}: ${filter}`;
          expect([200, 400], `${what} -> ${res.text}`).toContain(res.status);
          if (res.status === 200) expect(res.items, what).toEqual([]);
          else
            expect(['INVALID_PARAMETER_VALUE', 'BAD_REQUEST'], what).toContain(
              JSON.parse(res.text).error_code,
            );
          expect(leaksInternals(res.text, [filter]), `${what} -> ${res.text}`).toBeUndefined();
        }
      }
      for (const orderBy of ORDER_BY) {
        const res = await ep.search(undefined, orderBy);
        expect([200, 400], `${ep.name} order_by ${orderBy} -> ${res.text}`).toContain(res.status);
        expect(
          leaksInternals(res.text, [orderBy]),
          `${ep.name} order_by ${orderBy} -> ${res.text}`,
        ).toBeUndefined();
      }
    }
    expect(await snapshotStore(s)).toBe(before);
  });

  it('matches quotes, wildcards, semicolons and unicode literally', async () => {
    const [runs, experiments, models, versions, logged] = endpoints as [
      Endpoint,
      Endpoint,
      Endpoint,
      Endpoint,
      Endpoint,
    ];
    const names = async (ep: Endpoint, filter: string, key: (x: Record<string, unknown>) => unknown) => {
      const res = await ep.search(filter);
      expect(res.status, `${ep.name}: ${filter} -> ${res.text}`).toBe(200);
      return (res.items as Array<Record<string, unknown>>).map(key).sort();
    };
    const expName = (x: Record<string, unknown>) => x['name'];
    expect(await names(experiments, `name = "O'Brien"`, expName)).toEqual(["O'Brien"]);
    expect(await names(experiments, "name = '100%_done'", expName)).toEqual(['100%_done']);
    expect(await names(experiments, "name = 'a_b'", expName)).toEqual(['a_b']);
    expect(await names(experiments, "name LIKE 'a_b'", expName)).toEqual(['a_b', 'axb']);
    expect(await names(experiments, "name = 'ünïcödé'", expName)).toEqual(['ünïcödé']);
    expect(await names(experiments, "name = 'semi;colon; DROP TABLE runs'", expName)).toEqual([
      'semi;colon; DROP TABLE runs',
    ]);
    expect(await names(experiments, `tags.t = "O'Brien"`, expName)).toEqual(["O'Brien"]);
    const runParam = (x: Record<string, unknown>) =>
      ((x['data'] as { params: Array<{ value: string }> }).params ?? [])[0]?.value;
    expect(await names(runs, `params.p = "'; DROP TABLE runs; --"`, runParam)).toEqual([
      "'; DROP TABLE runs; --",
    ]);
    expect(await names(runs, "params.p = '50%'", runParam)).toEqual(['50%']);
    expect(await names(runs, "params.p LIKE '%;%'", runParam)).toEqual(["'; DROP TABLE runs; --"]);
    expect(await names(runs, "tags.t = 'a_b'", runParam)).toEqual(['a_b']);
    expect(await names(models, `name = "model'q"`, expName)).toEqual(["model'q"]);
    expect(await names(models, "name = 'model_1'", expName)).toEqual(['model_1']);
    expect(await names(models, "name LIKE 'model_1'", expName)).toEqual(['model_1', 'modelx1']);
    expect(await names(versions, `name = "model'q"`, expName)).toEqual(["model'q"]);
    const loggedParam = (x: Record<string, unknown>) =>
      ((x['data'] as { params?: Array<{ value: string }> }).params ?? [])[0]?.value;
    expect(await names(logged, `params.p = "'; DROP TABLE runs; --"`, loggedParam)).toEqual([
      "'; DROP TABLE runs; --",
    ]);
  });
});
