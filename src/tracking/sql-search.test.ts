import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempPostgres } from '../../test/helpers/postgres.js';
import { CairnError } from '../core/errors.js';
import { type MetadataDb, openMetadataDb } from '../store/db.js';
import {
  parseExperimentFilter,
  parseExperimentOrderBy,
  parseRunFilter,
  parseRunOrderBy,
} from './search-parse.js';
import { applyExperimentFilter, applyExperimentOrder, applyRunFilter, applyRunOrder } from './sql-search.js';

interface Backend {
  handle: MetadataDb;
  drop(): Promise<void>;
}

const backends: [string, () => Promise<Backend>][] = [
  ['sqlite', async () => ({ handle: await openMetadataDb('sqlite:///:memory:'), drop: async () => {} })],
  [
    'postgres',
    async () => {
      const pg = await createTempPostgres();
      return { handle: await openMetadataDb(pg.uri), drop: pg.drop };
    },
  ],
];

const CONTEXT = 'mlflow.data.context';
const context = (value: string) => JSON.stringify([{ key: CONTEXT, value }]);

/** Six runs over two experiments; see the expectations below for what each holds. */
async function seed(h: MetadataDb): Promise<Record<string, number>> {
  const db = h.db;
  const experiment = async (name: string, creation: number, update: number) =>
    Number(
      (
        await db
          .insertInto('experiments')
          .values({
            name,
            artifact_location: 'x',
            lifecycle_stage: 'active',
            creation_time: creation,
            last_update_time: update,
          })
          .returning('experiment_id')
          .executeTakeFirstOrThrow()
      ).experiment_id,
    );
  const e1 = await experiment('exp-alpha', 100, 500);
  const e2 = await experiment('Exp-Beta', 200, 400);
  const e3 = await experiment('gamma_exp', 200, 300);
  await db
    .insertInto('experiment_tags')
    .values([
      { experiment_id: e1, key: 'team', value: 'vision' },
      { experiment_id: e1, key: 'note', value: '50% done' },
      { experiment_id: e2, key: 'team', value: 'nlp' },
    ])
    .execute();

  const runs: [string, number, string, string, string, number, number | null, string][] = [
    ['r1', e1, 'alpha', 'FINISHED', 'alice', 1000, 2000, 'active'],
    ['r2', e1, 'Alpha-2', 'RUNNING', 'bob', 2000, null, 'active'],
    ['r3', e1, 'beta', 'FAILED', 'alice', 3000, 3500, 'active'],
    ['r4', e1, 'gamma', 'FINISHED', 'carol', 3000, 4000, 'active'],
    ['r5', e1, '50%_off', 'FINISHED', 'bob', 500, 600, 'deleted'],
    ['r6', e2, 'other', 'FINISHED', 'dave', 4000, null, 'active'],
  ];
  const pk: Record<string, number> = {};
  const expOf: Record<string, number> = {};
  for (const [
    run_uuid,
    experiment_id,
    name,
    status,
    user_id,
    start_time,
    end_time,
    lifecycle_stage,
  ] of runs) {
    const row = await db
      .insertInto('runs')
      .values({
        run_uuid,
        experiment_id,
        name,
        status,
        user_id,
        start_time,
        end_time,
        deleted_time: null,
        lifecycle_stage,
        artifact_uri: `mlflow-artifacts:/${experiment_id}/${run_uuid}/artifacts`,
      })
      .returning('run_pk')
      .executeTakeFirstOrThrow();
    pk[run_uuid] = Number(row.run_pk);
    expOf[run_uuid] = experiment_id;
  }

  const keys: Record<string, number> = {};
  for (const key of ['acc', 'loss', 'my acc', 'unused']) {
    keys[key] = Number(
      (await db.insertInto('metric_keys').values({ key }).returning('key_id').executeTakeFirstOrThrow())
        .key_id,
    );
  }
  const metrics: [string, string, number][] = [
    ['r1', 'acc', 0.9],
    ['r1', 'loss', 0.1],
    ['r1', 'my acc', 1.5],
    ['r2', 'acc', 0.5],
    ['r2', 'loss', Number.NaN],
    ['r3', 'acc', Number.NaN],
    ['r3', 'loss', 0.3],
    ['r5', 'acc', -1000],
    ['r5', 'loss', 2.5],
    ['r6', 'acc', 0.7],
  ];
  await db
    .insertInto('latest_metrics')
    .values(
      metrics.map(([run, key, value]) => ({
        run_pk: pk[run]!,
        key_id: keys[key]!,
        experiment_id: expOf[run]!,
        step: 0,
        timestamp: 1,
        value: Number.isNaN(value) ? 0 : value,
        is_nan: Number.isNaN(value) ? 1 : 0,
      })),
    )
    .execute();

  const kv = (rows: [string, string, string][]) =>
    rows.map(([run, key, value]) => ({ run_pk: pk[run]!, key, value }));
  await db
    .insertInto('params')
    .values(
      kv([
        ['r1', 'lr', '0.01'],
        ['r1', 'model', 'CNN'],
        ['r1', 'a b', 'spaced'],
        ['r2', 'lr', '0.1'],
        ['r2', 'model', 'cnn'],
        ['r3', 'lr', '0.001'],
        ['r3', 'model', 'rnn_v2'],
        ['r5', 'lr', '0.1'],
        ['r5', 'model', 'c*n?n[1]'],
        ['r6', 'lr', '0.01'],
      ]),
    )
    .execute();
  await db
    .insertInto('tags')
    .values(
      kv([
        ['r1', 'team', 'Vision'],
        ['r1', 'mlflow.runName', 'alpha'],
        ['r1', 'my tag', 'x'],
        ['r2', 'team', 'vision'],
        ['r3', 'team', 'nlp'],
        ['r3', 'note', '50% done'],
        ['r4', 'note', "it's"],
        ['r5', 'team', 'ops'],
        ['r6', 'team', 'vision'],
      ]),
    )
    .execute();

  const dataset = async (experiment_id: number, name: string, digest: string) =>
    Number(
      (
        await db
          .insertInto('datasets')
          .values({
            experiment_id,
            name,
            digest,
            source_type: 'local',
            source: '{}',
            schema: null,
            profile: null,
          })
          .returning('dataset_pk')
          .executeTakeFirstOrThrow()
      ).dataset_pk,
    );
  const d1 = await dataset(e1, 'train-set', 'aaa111');
  const d2 = await dataset(e1, 'eval-set', 'bbb222');
  const d3 = await dataset(e2, 'train-set', 'ccc333');
  await db
    .insertInto('run_inputs')
    .values([
      { run_pk: pk['r1']!, dataset_pk: d1, tags: context('training') },
      { run_pk: pk['r2']!, dataset_pk: d2, tags: context('eval') },
      { run_pk: pk['r4']!, dataset_pk: d1, tags: context('training') },
      {
        run_pk: pk['r4']!,
        dataset_pk: d2,
        tags: JSON.stringify([
          { key: 'other', value: 'x' },
          { key: CONTEXT, value: 'Eval' },
        ]),
      },
      // Wrong shapes must match nothing and break nothing.
      { run_pk: pk['r5']!, dataset_pk: d1, tags: JSON.stringify({ key: CONTEXT, value: 'training' }) },
      {
        run_pk: pk['r5']!,
        dataset_pk: d2,
        tags: JSON.stringify(['training', 7, { key: CONTEXT, value: null }, { key: CONTEXT }]),
      },
      { run_pk: pk['r6']!, dataset_pk: d3, tags: context('training') },
    ])
    .execute();
  return { e1, e2, e3 };
}

const ALL = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];

const FILTERS: [string, string[]][] = [
  ['', ALL],
  ['metrics.acc > 0.5', ['r1', 'r6']],
  ['metrics.acc >= 0.5', ['r1', 'r2', 'r6']],
  ['metrics.acc = 0.5', ['r2']],
  ['metrics.acc != 0.5', ['r1', 'r3', 'r5', 'r6']],
  ['metrics.acc < 0', ['r5']],
  ['metrics.acc <= -1e3', ['r5']],
  ['metrics.acc > -1E+4', ['r1', 'r2', 'r5', 'r6']],
  ['metric.loss < 1', ['r1', 'r3']],
  ['metrics."my acc" = 1.5', ['r1']],
  ['metrics.`my acc` > 1', ['r1']],
  ['metrics.missing > 0', []],
  ['metrics.unused != 0', []],
  ['metrics.acc > 0.5 AND metrics.loss < 1', ['r1']],
  ["params.lr = '0.1'", ['r2', 'r5']],
  ["params.lr != '0.1'", ['r1', 'r3', 'r6']],
  ["params.lr IN ('0.1', '0.01')", ['r1', 'r2', 'r5', 'r6']],
  ["params.lr NOT IN ('0.1')", ['r1', 'r3', 'r6']],
  ['params.lr IS NULL', ['r4']],
  ['params.lr IS NOT NULL', ['r1', 'r2', 'r3', 'r5', 'r6']],
  ["params.`a b` = 'spaced'", ['r1']],
  ["params.model = 'cnn'", ['r2']],
  ["params.model LIKE 'c%'", ['r2', 'r5']],
  ["params.model ILIKE 'c%'", ['r1', 'r2', 'r5']],
  ["params.model ILIKE 'CNN'", ['r1', 'r2']],
  ["params.model LIKE 'rnn_v2'", ['r3']],
  ["params.model LIKE '%n_v_'", ['r3']],
  ["params.model LIKE 'rnn\\_v2'", ['r3']],
  ["params.model LIKE 'rnn\\_v_'", ['r3']],
  ["params.model LIKE 'rnn\\_%2'", ['r3']],
  ["params.model LIKE 'r\\%%'", []],
  ["params.model LIKE 'c*%'", ['r5']],
  ["params.model LIKE 'c?%'", []],
  ["params.model LIKE '%[1]'", ['r5']],
  ["params.model LIKE '[c]%'", []],
  ["params.model ILIKE '%?N[1]'", ['r5']],
  ["tags.team = 'vision'", ['r2', 'r6']],
  ["tags.team ILIKE 'VISION'", ['r1', 'r2', 'r6']],
  ["tags.team LIKE 'V%'", ['r1']],
  ["tags.team != 'vision'", ['r1', 'r3', 'r5']],
  ["tags.note LIKE '50\\%%'", ['r3']],
  ["tags.note LIKE '5_\\% done'", ['r3']],
  ["tags.note ILIKE '50\\% DONE'", ['r3']],
  ["tags.note ILIKE '50\\%\\_DONE'", []],
  ["tags.note ILIKE '%\\d%'", ['r3']],
  ['tags.note = "it\'s"', ['r4']],
  ["tags.note = 'it\\'s'", ['r4']],
  ["tags.mlflow.runName = 'alpha'", ['r1']],
  ['tags.`my tag` IS NOT NULL', ['r1']],
  ['tags.team IS NULL', ['r4']],
  ["attributes.status = 'FINISHED'", ['r1', 'r4', 'r5', 'r6']],
  ["status != 'FINISHED'", ['r2', 'r3']],
  ["attributes.status IN ('FAILED', 'RUNNING')", ['r2', 'r3']],
  ["attributes.run_name = 'alpha'", ['r1']],
  ["run_name LIKE 'alpha%'", ['r1']],
  ["run_name ILIKE 'alpha%'", ['r1', 'r2']],
  ["run_name LIKE '50\\%\\_%'", ['r5']],
  ["attributes.`Run name` = 'beta'", ['r3']],
  ["attributes.run_id IN ('r1', 'r3')", ['r1', 'r3']],
  ["run_id NOT IN ('r1')", ['r2', 'r3', 'r4', 'r5', 'r6']],
  ["attributes.run_id = 'r4'", ['r4']],
  ["attributes.user_id = 'alice'", ['r1', 'r3']],
  ["attributes.lifecycle_stage = 'deleted'", ['r5']],
  ["attributes.artifact_uri LIKE 'mlflow-artifacts:/%'", ALL],
  ['attributes.start_time >= 3000', ['r3', 'r4', 'r6']],
  ['attributes.created < 1000', ['r5']],
  ['Created = 500', ['r5']],
  ['start_time > 2999.5', ['r3', 'r4', 'r6']],
  ['start_time >= 2999.5', ['r3', 'r4', 'r6']],
  ['start_time < 2000.5', ['r1', 'r2', 'r5']],
  ['start_time <= 2000.5', ['r1', 'r2', 'r5']],
  ['start_time = 3000.5', []],
  ['start_time != 3000.5', ALL],
  ['start_time <= 1e20', ALL],
  ['start_time > 1e20', []],
  ['start_time > -1e20', ALL],
  ['start_time != 1e20', ALL],
  ['attributes.end_time > 0', ['r1', 'r3', 'r4', 'r5']],
  ['end_time != 2000', ['r3', 'r4', 'r5']],
  ["datasets.name = 'train-set'", ['r1', 'r4', 'r5', 'r6']],
  ["dataset.name LIKE 'eval%'", ['r2', 'r4', 'r5']],
  ["datasets.digest IN ('aaa111')", ['r1', 'r4', 'r5']],
  ["datasets.name != 'train-set'", ['r2', 'r4', 'r5']],
  ["datasets.name NOT IN ('train-set')", ['r2', 'r4', 'r5']],
  ["datasets.context = 'training'", ['r1', 'r4', 'r6']],
  ["datasets.context ILIKE 'eval'", ['r2', 'r4']],
  ["datasets.context = 'Eval'", ['r4']],
  ["datasets.context LIKE 'eval'", ['r2']],
  ["datasets.context LIKE '%'", ['r1', 'r2', 'r4', 'r6']],
  ["datasets.context IN ('eval', 'nope')", ['r2']],
  ["datasets.context != 'training'", ['r2', 'r4']],
  ["metrics.acc > 0 AND params.lr = '0.01' AND tags.team = 'Vision' AND status = 'FINISHED'", ['r1']],
  ["datasets.context = 'training' AND metrics.acc >= 0.7 AND start_time > 1000", ['r6']],
  // Injection-shaped input is data: it matches nothing and harms nothing.
  ["params.lr = '\\' OR 1=1 --'", []],
  ['tags."; DROP TABLE runs; --" = \'x\'', []],
  ["run_name = \"' OR '1'='1\"", []],
  ["run_id IN ('r1\\' OR \\'1\\'=\\'1')", []],
  ["datasets.context = '\\') OR 1=1 --'", []],
  ["datasets.name LIKE '%\\' OR 1=1 --'", []],
  ['metrics.`acc) OR (1=1` > 0', []],
  ["params.`lr' OR '1'='1` IS NOT NULL", []],
  ["tags.team LIKE '%\\'; DELETE FROM tags; --'", []],
];

const RUN_ORDERS: [string[], string, string[]][] = [
  [[], '', ['r6', 'r3', 'r4', 'r2', 'r1', 'r5']],
  [['metrics.acc DESC'], '', ['r1', 'r6', 'r2', 'r5', 'r3', 'r4']],
  [['metrics.acc'], '', ['r5', 'r2', 'r6', 'r1', 'r3', 'r4']],
  [['metrics.acc DESC'], 'metrics.acc > 0', ['r1', 'r6', 'r2']],
  [['metrics.acc ASC'], 'metrics.acc >= 0.5', ['r2', 'r6', 'r1']],
  [['metrics.acc ASC'], 'metrics.acc != 0.7', ['r5', 'r2', 'r1', 'r3']],
  [['metrics.acc DESC'], 'metrics.acc != 0.7 AND metrics.acc > -5', ['r1', 'r2']],
  [['metrics.loss DESC', 'metrics.acc DESC'], '', ['r5', 'r3', 'r1', 'r2', 'r6', 'r4']],
  [['metrics.loss DESC', 'metrics.acc DESC'], 'metrics.acc > -5', ['r1', 'r2', 'r6']],
  [['metrics.`my acc` DESC'], '', ['r1', 'r6', 'r3', 'r4', 'r2', 'r5']],
  [['params.lr DESC'], '', ['r2', 'r5', 'r6', 'r1', 'r3', 'r4']],
  [['params.lr'], '', ['r3', 'r6', 'r1', 'r2', 'r5', 'r4']],
  [['tags.team'], '', ['r1', 'r3', 'r5', 'r6', 'r2', 'r4']],
  [['tags.team DESC'], '', ['r6', 'r2', 'r5', 'r3', 'r1', 'r4']],
  [['attributes.run_name'], '', ['r5', 'r2', 'r1', 'r3', 'r4', 'r6']],
  [['attributes.end_time DESC'], '', ['r4', 'r3', 'r1', 'r5', 'r6', 'r2']],
  [['end_time'], '', ['r5', 'r1', 'r3', 'r4', 'r6', 'r2']],
  [['attributes.start_time ASC'], '', ['r5', 'r1', 'r2', 'r3', 'r4', 'r6']],
  [['created DESC'], '', ['r6', 'r3', 'r4', 'r2', 'r1', 'r5']],
  [['status', 'run_id DESC'], '', ['r3', 'r6', 'r5', 'r4', 'r1', 'r2']],
  [['user_id DESC'], "status = 'FINISHED'", ['r6', 'r4', 'r5', 'r1']],
];

describe.each(backends)('sql-search on %s', (_name, open) => {
  let backend: Backend | undefined;
  let h: MetadataDb;
  let ids: Record<string, number>;

  beforeAll(async () => {
    backend = await open();
    h = backend.handle;
    ids = await seed(h);
  }, 60_000);

  afterAll(async () => {
    await backend?.handle.close();
    await backend?.drop();
  });

  async function runIds(filter: string, orderBy: string[] = [], page?: { limit: number; offset: number }) {
    const tree = parseRunFilter(filter);
    let qb = h.db.selectFrom('runs').select(['runs.run_uuid', 'runs.name']);
    qb = applyRunFilter(qb, tree, h.dialect);
    qb = applyRunOrder(qb, parseRunOrderBy(orderBy), h.dialect, { filter: tree });
    if (page) qb = qb.limit(page.limit).offset(page.offset);
    return (await qb.execute()).map((r) => r.run_uuid);
  }

  it.each(FILTERS)('filter %j', async (filter, expected) => {
    expect((await runIds(filter)).sort()).toEqual(expected);
  });

  it.each(RUN_ORDERS)('order_by %j with filter %j', async (orderBy, filter, expected) => {
    expect(await runIds(filter, orderBy)).toEqual(expected);
  });

  it('gives the same order without the filter hint, and stable pages', async () => {
    const tree = parseRunFilter('metrics.acc > 0');
    const qb = applyRunFilter(h.db.selectFrom('runs').select('runs.run_uuid'), tree, h.dialect);
    const plain = await applyRunOrder(qb, parseRunOrderBy(['metrics.acc DESC']), h.dialect).execute();
    expect(plain.map((r) => r.run_uuid)).toEqual(['r1', 'r6', 'r2']);
    const pages = [];
    for (let offset = 0; offset < 6; offset += 2)
      pages.push(...(await runIds('', ['tags.team'], { limit: 2, offset })));
    expect(pages).toEqual(['r1', 'r3', 'r5', 'r6', 'r2', 'r4']);
  });

  it('walks the metric index on SQLite when the filter requires the metric, with the same results either way', async () => {
    const tree = parseRunFilter('metrics.acc > 0 AND metrics.acc < 0.95');
    const build = (walkMetricIndex: boolean) =>
      applyRunOrder(
        applyRunFilter(h.db.selectFrom('runs').select('runs.run_uuid'), tree, h.dialect),
        parseRunOrderBy(['metrics.acc']),
        h.dialect,
        { filter: tree, walkMetricIndex },
      );
    for (const walk of [true, false]) {
      expect((await build(walk).execute()).map((r) => r.run_uuid)).toEqual(['r2', 'r6', 'r1']);
    }
    if (h.sqlite) {
      const plan = () => {
        const e1 = ids['e1']!;
        const bounded = applyRunOrder(
          applyRunFilter(
            h.db.selectFrom('runs').select('runs.run_uuid').where('runs.experiment_id', 'in', [e1]),
            tree,
            h.dialect,
          ),
          parseRunOrderBy(['metrics.acc']),
          h.dialect,
          { filter: tree, experimentIds: [e1] },
        );
        const { sql, parameters } = bounded.compile();
        const rows = h.sqlite!.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as {
          detail: string;
        }[];
        return rows.map((r) => r.detail).join('\n');
      };
      expect(plan()).toMatch(
        /SEARCH om0 USING (COVERING )?INDEX latest_metrics_exp_key_value \(experiment_id=\? AND key_id=\? AND is_nan=\? AND value>\? AND value<\?\)/,
      );
    }
  });

  it('composes with the caller’s own conditions', async () => {
    const tree = parseRunFilter('metrics.acc > -5000');
    let qb = h.db
      .selectFrom('runs')
      .select('runs.run_uuid')
      .where('runs.experiment_id', 'in', [ids['e1']!])
      .where('runs.lifecycle_stage', '=', 'active');
    qb = applyRunFilter(qb, tree, h.dialect);
    qb = applyRunOrder(qb, parseRunOrderBy(['metrics.acc DESC']), h.dialect, { filter: tree });
    expect((await qb.limit(2).execute()).map((r) => r.run_uuid)).toEqual(['r1', 'r2']);
  });

  it('leaves the tables intact after injection-shaped searches', async () => {
    const count = async (table: 'runs' | 'tags' | 'params') =>
      Number(
        (
          await h.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect([await count('runs'), await count('tags'), await count('params')]).toEqual([6, 9, 10]);
  });

  const experimentNames = async (filter: string, orderBy: string[] = []) => {
    let qb = h.db.selectFrom('experiments').select('experiments.name');
    qb = applyExperimentFilter(qb, parseExperimentFilter(filter), h.dialect);
    qb = applyExperimentOrder(qb, parseExperimentOrderBy(orderBy), h.dialect);
    return (await qb.execute()).map((r) => r.name);
  };

  it.each([
    ["name = 'exp-alpha'", ['exp-alpha']],
    ["name LIKE 'exp%'", ['exp-alpha']],
    ["name ILIKE 'exp%'", ['Exp-Beta', 'exp-alpha']],
    ["name != 'Default'", ['Exp-Beta', 'exp-alpha', 'gamma_exp']],
    ["name IN ('Exp-Beta', 'gamma_exp')", ['Exp-Beta', 'gamma_exp']],
    ["name NOT IN ('Exp-Beta', 'gamma_exp')", ['Default', 'exp-alpha']],
    ["name LIKE 'gamma\\_%'", ['gamma_exp']],
    ["name ILIKE 'EXP\\-%'", ['Exp-Beta', 'exp-alpha']],
    ['attribute.creation_time > 150', ['Default', 'Exp-Beta', 'gamma_exp']],
    ['creation_time = 200', ['Exp-Beta', 'gamma_exp']],
    ['last_update_time < 450', ['Exp-Beta', 'gamma_exp']],
    ['creation_time > 199.5 AND creation_time < 200.5', ['Exp-Beta', 'gamma_exp']],
    ["tags.team = 'nlp'", ['Exp-Beta']],
    ["tag.team ILIKE 'VISION'", ['exp-alpha']],
    ["tags.team != 'nlp'", ['exp-alpha']],
    ['tags.team IS NULL', ['Default', 'gamma_exp']],
    ['tags.team IS NOT NULL', ['Exp-Beta', 'exp-alpha']],
    ["tags.note LIKE '50\\%%'", ['exp-alpha']],
    ["tags.team IN ('nlp', 'vision') AND name LIKE 'E%'", ['Exp-Beta']],
    ["name = '\\' OR 1=1 --'", []],
    ["tags.`team' OR '1'='1` = 'nlp'", []],
  ])('experiment filter %j', async (filter, expected) => {
    expect((await experimentNames(filter)).sort()).toEqual(expected);
  });

  it.each([
    [[], ['Default', 'Exp-Beta', 'gamma_exp', 'exp-alpha']],
    [['name'], ['Default', 'Exp-Beta', 'exp-alpha', 'gamma_exp']],
    [['name DESC'], ['gamma_exp', 'exp-alpha', 'Exp-Beta', 'Default']],
    [['creation_time ASC'], ['exp-alpha', 'gamma_exp', 'Exp-Beta', 'Default']],
    [
      ['creation_time ASC', 'experiment_id ASC'],
      ['exp-alpha', 'Exp-Beta', 'gamma_exp', 'Default'],
    ],
    [['last_update_time DESC'], ['Default', 'exp-alpha', 'Exp-Beta', 'gamma_exp']],
    [['experiment_id DESC'], ['gamma_exp', 'Exp-Beta', 'exp-alpha', 'Default']],
  ])('experiment order_by %j', async (orderBy, expected) => {
    expect(await experimentNames('', orderBy)).toEqual(expected);
  });

  it('rejects trees that did not come from the parser', () => {
    const runs = h.db.selectFrom('runs').select('runs.run_uuid');
    const experiments = h.db.selectFrom('experiments').select('experiments.name');
    const bad = (clause: object) => ({ clauses: [clause] }) as never;
    expect(() =>
      applyRunFilter(runs, bad({ entity: 'attribute', key: 'name; --', op: '=', value: 'x' }), h.dialect),
    ).toThrow(CairnError);
    expect(() =>
      applyRunFilter(runs, bad({ entity: 'metric', key: 'acc', op: 'LIKE', value: 1 }), h.dialect),
    ).toThrow(CairnError);
    expect(() =>
      applyRunFilter(runs, bad({ entity: 'metric', key: 'acc', op: '>', value: 'x' }), h.dialect),
    ).toThrow(CairnError);
    expect(() =>
      applyRunFilter(runs, bad({ entity: 'param', key: 'p', op: 'IN', value: [] }), h.dialect),
    ).toThrow(CairnError);
    expect(() =>
      applyExperimentFilter(experiments, bad({ entity: 'metric', key: 'acc', op: '>', value: 1 }), h.dialect),
    ).toThrow(CairnError);
    expect(() =>
      applyRunOrder(runs, [{ entity: 'dataset', key: 'name', ascending: true }], h.dialect),
    ).toThrow(CairnError);
    expect(() =>
      applyExperimentOrder(experiments, [{ entity: 'tag', key: 't', ascending: true }], h.dialect),
    ).toThrow(CairnError);
  });
});
