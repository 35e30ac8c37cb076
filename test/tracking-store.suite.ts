import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackingService } from '../src/tracking/service.js';

export interface SuiteTarget {
  service: TrackingService;
  close(): Promise<void>;
}

const rejectsWith = (p: Promise<unknown>, code: string) => expect(p).rejects.toMatchObject({ code });
let counter = 0;
const unique = (prefix: string) => `${prefix}-${Date.now()}-${++counter}`;

/**
 * The one behaviour suite of the tracking port, run against every adapter (SQLite, PostgreSQL,
 * and HTTP against a live server) through the service, so rules and persistence are both covered.
 */
export function trackingSuite(name: string, open: () => Promise<SuiteTarget>): void {
  describe(`tracking store: ${name}`, () => {
    let target: SuiteTarget;
    let svc: TrackingService;
    beforeAll(async () => {
      target = await open();
      svc = target.service;
    });
    afterAll(async () => target?.close());

    it('has the Default experiment with id 0', async () => {
      const exp = await svc.getExperiment('0');
      expect(exp).toMatchObject({ experiment_id: '0', name: 'Default', lifecycle_stage: 'active' });
      expect((await svc.getExperimentByName('Default')).experiment_id).toBe('0');
    });

    it('creates, gets, renames and tags experiments', async () => {
      const name = unique('exp');
      const id = await svc.createExperiment({ name, tags: [{ key: 'team', value: 'fraud' }] });
      const exp = await svc.getExperiment(id);
      expect(exp).toMatchObject({
        name,
        lifecycle_stage: 'active',
        artifact_location: `mlflow-artifacts:/${id}`,
      });
      expect(exp.tags).toEqual([{ key: 'team', value: 'fraud' }]);
      await rejectsWith(svc.createExperiment({ name }), 'RESOURCE_ALREADY_EXISTS');

      const renamed = unique('renamed');
      await svc.renameExperiment(id, renamed);
      expect((await svc.getExperimentByName(renamed)).experiment_id).toBe(id);
      await rejectsWith(svc.getExperimentByName(name), 'RESOURCE_DOES_NOT_EXIST');
      await rejectsWith(svc.renameExperiment(id, 'Default'), 'RESOURCE_ALREADY_EXISTS');

      await svc.setExperimentTag(id, 'stage', 'dev');
      await svc.setExperimentTag(id, 'stage', 'prod');
      await svc.deleteExperimentTag(id, 'team');
      expect((await svc.getExperiment(id)).tags).toEqual([{ key: 'stage', value: 'prod' }]);
    });

    it('rejects unknown and malformed experiment ids and names', async () => {
      await rejectsWith(svc.getExperiment('987654321'), 'RESOURCE_DOES_NOT_EXIST');
      await rejectsWith(svc.getExperiment('../etc'), 'INVALID_PARAMETER_VALUE');
      await rejectsWith(svc.createExperiment({ name: '' }), 'INVALID_PARAMETER_VALUE');
      await rejectsWith(svc.createExperiment({ name: 'x'.repeat(501) }), 'INVALID_PARAMETER_VALUE');
      await rejectsWith(svc.deleteExperiment('0'), 'INVALID_PARAMETER_VALUE');
    });

    it('deletes and restores an experiment with its runs', async () => {
      const id = await svc.createExperiment({ name: unique('lifecycle') });
      const run = await svc.createRun({ experimentId: id });
      await svc.deleteExperiment(id);
      expect((await svc.getExperiment(id)).lifecycle_stage).toBe('deleted');
      expect((await svc.getRun(run.info.run_id)).info.lifecycle_stage).toBe('deleted');
      await rejectsWith(svc.createRun({ experimentId: id }), 'INVALID_PARAMETER_VALUE');
      await rejectsWith(svc.renameExperiment(id, unique('x')), 'INVALID_PARAMETER_VALUE');
      const deleted = await svc.searchExperiments({ viewType: 'DELETED_ONLY', maxResults: 50_000 });
      expect(deleted.items.map((e) => e.experiment_id)).toContain(id);
      await svc.restoreExperiment(id);
      expect((await svc.getRun(run.info.run_id)).info.lifecycle_stage).toBe('active');
      await rejectsWith(svc.restoreExperiment(id), 'INVALID_PARAMETER_VALUE');
    });

    it('searches experiments with filter, order and pages', async () => {
      const tag = unique('srch');
      for (const n of ['b', 'a', 'c'])
        await svc.createExperiment({ name: `${tag}-${n}`, tags: [{ key: 'suite', value: tag }] });
      const first = await svc.searchExperiments({
        filter: `name LIKE '${tag}-%'`,
        orderBy: ['name ASC'],
        maxResults: 2,
      });
      expect(first.items.map((e) => e.name)).toEqual([`${tag}-a`, `${tag}-b`]);
      expect(first.nextPageToken).toBeTruthy();
      const second = await svc.searchExperiments({
        filter: `name LIKE '${tag}-%'`,
        orderBy: ['name ASC'],
        maxResults: 2,
        pageToken: first.nextPageToken!,
      });
      expect(second.items.map((e) => e.name)).toEqual([`${tag}-c`]);
      expect(second.nextPageToken).toBeUndefined();
      const byTag = await svc.searchExperiments({ filter: `tags.suite = '${tag}'` });
      expect(byTag.items).toHaveLength(3);
      await rejectsWith(svc.searchExperiments({ filter: 'name ==== 3' }), 'INVALID_PARAMETER_VALUE');
      await rejectsWith(svc.searchExperiments({ pageToken: 'not-a-token' }), 'INVALID_PARAMETER_VALUE');
    });

    it('creates runs with names, system tags and artifact URIs', async () => {
      const id = await svc.createExperiment({ name: unique('runs') });
      const run = await svc.createRun({
        experimentId: id,
        runName: 'baseline',
        userId: 'ada',
        startTime: 1_700_000_000_000,
        tags: [{ key: 'mlflow.source.name', value: 'train.ts' }],
      });
      expect(run.info).toMatchObject({
        experiment_id: id,
        run_name: 'baseline',
        user_id: 'ada',
        status: 'RUNNING',
        start_time: 1_700_000_000_000,
        lifecycle_stage: 'active',
        artifact_uri: `mlflow-artifacts:/${id}/${run.info.run_id}/artifacts`,
      });
      expect(run.info.run_id).toMatch(/^[0-9a-f]{32}$/);
      expect(run.data.tags).toEqual(
        expect.arrayContaining([
          { key: 'mlflow.runName', value: 'baseline' },
          { key: 'mlflow.source.name', value: 'train.ts' },
        ]),
      );
      const unnamed = await svc.createRun({ experimentId: id });
      expect(unnamed.info.run_name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
      await rejectsWith(svc.createRun({ experimentId: '987654321' }), 'RESOURCE_DOES_NOT_EXIST');
    });

    it('updates status, end time and name', async () => {
      const run = await svc.createRun({});
      const info = await svc.updateRun(run.info.run_id, {
        status: 'FINISHED',
        endTime: 1_800_000_000_000,
        runName: 'renamed',
      });
      expect(info).toMatchObject({ status: 'FINISHED', end_time: 1_800_000_000_000, run_name: 'renamed' });
      const again = await svc.getRun(run.info.run_id);
      expect(again.data.tags).toContainEqual({ key: 'mlflow.runName', value: 'renamed' });
      await rejectsWith(svc.getRun('0123456789abcdef0123456789abcdef'), 'RESOURCE_DOES_NOT_EXIST');
    });

    it('logs params, metrics and tags in batches, keeping the latest metric', async () => {
      const run = await svc.createRun({});
      const id = run.info.run_id;
      await svc.logBatch(id, {
        params: [
          { key: 'lr', value: '0.1' },
          { key: 'depth', value: '6' },
        ],
        tags: [{ key: 'stage', value: 'dev' }],
        metrics: [
          { key: 'loss', value: 0.9, timestamp: 1000, step: 0 },
          { key: 'loss', value: 0.5, timestamp: 1001, step: 1 },
          { key: 'loss', value: Number.NaN, timestamp: 1002, step: 2 },
          { key: 'acc', value: Number.POSITIVE_INFINITY, timestamp: 1000, step: 0 },
        ],
      });
      await svc.logMetric(id, { key: 'acc', value: 0.75, timestamp: 999, step: 5 });
      await svc.logParam(id, 'lr', '0.1'); // same value again: allowed
      const got = await svc.getRun(id);
      expect(got.data.params).toEqual([
        { key: 'depth', value: '6' },
        { key: 'lr', value: '0.1' },
      ]);
      expect(got.data.tags).toContainEqual({ key: 'stage', value: 'dev' });
      const byKey = Object.fromEntries(got.data.metrics.map((m) => [m.key, m]));
      expect(byKey['loss']!.step).toBe(2);
      expect(Number.isNaN(byKey['loss']!.value)).toBe(true);
      expect(byKey['acc']).toMatchObject({ value: 0.75, step: 5 });

      const hist = await svc.getMetricHistory(id, 'loss');
      expect(hist.items.map((m) => m.step)).toEqual([0, 1, 2]);
      expect(hist.items[0]!.value).toBe(0.9);
      const acc = await svc.getMetricHistory(id, 'acc');
      expect(acc.items.map((m) => m.value)).toEqual([Number.POSITIVE_INFINITY, 0.75]);
    });

    it('refuses to change a param and writes nothing of a failing batch', async () => {
      const run = await svc.createRun({});
      const id = run.info.run_id;
      await svc.logParam(id, 'lr', '0.1');
      const failing = svc.logBatch(id, {
        params: [
          { key: 'lr', value: '0.2' },
          { key: 'fresh', value: 'x' },
        ],
        metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }],
        tags: [{ key: 't', value: 'v' }],
      });
      await expect(failing).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining("Changing param values is not allowed. Param with key='lr'"),
      });
      const after = await svc.getRun(id);
      expect(after.data.params).toEqual([{ key: 'lr', value: '0.1' }]);
      expect(after.data.metrics).toEqual([]);
      expect(after.data.tags.find((t) => t.key === 't')).toBeUndefined();
    });

    it('enforces MLflow batch limits before writing', async () => {
      const run = await svc.createRun({});
      const id = run.info.run_id;
      const params = Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'v' }));
      await expect(svc.logBatch(id, { params })).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining('at most 100 params. Got 101 params'),
      });
      const metrics = Array.from({ length: 1001 }, (_, i) => ({ key: 'm', value: i, timestamp: i, step: i }));
      await rejectsWith(svc.logBatch(id, { metrics }), 'INVALID_PARAMETER_VALUE');
      await rejectsWith(svc.logParam(id, 'big', 'x'.repeat(6001)), 'INVALID_PARAMETER_VALUE');
      await rejectsWith(svc.setTag(id, 'big', 'x'.repeat(8001)), 'INVALID_PARAMETER_VALUE');
      await rejectsWith(svc.logParam(id, 'k'.repeat(251), 'v'), 'INVALID_PARAMETER_VALUE');
      await rejectsWith(svc.logParam(id, '../escape', 'v'), 'INVALID_PARAMETER_VALUE');
      const got = await svc.getRun(id);
      expect(got.data.params).toEqual([]);
      expect(got.data.metrics).toEqual([]);
    });

    it('pages through metric history', async () => {
      const run = await svc.createRun({});
      const metrics = Array.from({ length: 1000 }, (_, i) => ({
        key: 'curve',
        value: i / 10,
        timestamp: 10_000 + i,
        step: i,
      }));
      await svc.logBatch(run.info.run_id, { metrics });
      const steps: number[] = [];
      let token: string | undefined;
      do {
        const page = await svc.getMetricHistory(run.info.run_id, 'curve', {
          maxResults: 300,
          ...(token ? { pageToken: token } : {}),
        });
        steps.push(...page.items.map((m) => m.step));
        token = page.nextPageToken;
      } while (token);
      expect(steps).toEqual(metrics.map((m) => m.step));
    });

    it('deletes tags, and deletes and restores runs', async () => {
      const run = await svc.createRun({ tags: [{ key: 'temp', value: '1' }] });
      const id = run.info.run_id;
      await svc.deleteTag(id, 'temp');
      expect((await svc.getRun(id)).data.tags.find((t) => t.key === 'temp')).toBeUndefined();
      await rejectsWith(svc.deleteTag(id, 'temp'), 'RESOURCE_DOES_NOT_EXIST');
      await svc.deleteRun(id);
      expect((await svc.getRun(id)).info.lifecycle_stage).toBe('deleted');
      await rejectsWith(svc.logParam(id, 'a', 'b'), 'INVALID_PARAMETER_VALUE');
      await svc.restoreRun(id);
      await svc.logParam(id, 'a', 'b');
    });

    it('logs dataset inputs', async () => {
      const run = await svc.createRun({});
      const dataset = {
        name: 'tx',
        digest: 'abc123',
        source_type: 'local',
        source: '{"uri": "data.parquet"}',
        schema: '{}',
        profile: '{"num_rows": 10}',
      };
      await svc.logInputs(run.info.run_id, [
        { tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset },
      ]);
      await svc.logInputs(run.info.run_id, [
        { tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset },
      ]);
      const got = await svc.getRun(run.info.run_id);
      expect(got.inputs.dataset_inputs).toEqual([
        { tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset },
      ]);
      await rejectsWith(
        svc.logInputs(run.info.run_id, [{ tags: [], dataset: { ...dataset, digest: 'x'.repeat(37) } }]),
        'INVALID_PARAMETER_VALUE',
      );
    });

    it('orders by a metric the filter does not name: numbers, then NaN, then missing, on every page', async () => {
      const exp = await svc.createExperiment({ name: unique('order-metric') });
      const values: Array<number | undefined> = [
        0.5,
        undefined,
        Number.NaN,
        0.9,
        0.1,
        undefined,
        0.7,
        Number.NaN,
        0.3,
      ];
      for (const [i, v] of values.entries()) {
        const run = await svc.createRun({ experimentId: exp, runName: `o${i}`, startTime: 1000 + i });
        const metrics =
          v === undefined
            ? [{ key: 'other', value: 1, timestamp: 1, step: 0 }]
            : [{ key: 'score', value: v, timestamp: 1, step: 0 }];
        await svc.logBatch(run.info.run_id, {
          metrics,
          params: [{ key: 'kind', value: i % 2 ? 'odd' : 'even' }],
        });
      }
      const pages = async (orderBy: string[], filter = '') => {
        const names: string[] = [];
        let token: string | undefined;
        do {
          const page = await svc.searchRuns({
            experimentIds: [exp],
            orderBy,
            filter,
            maxResults: 2,
            ...(token ? { pageToken: token } : {}),
          });
          names.push(...page.items.map((r) => r.info.run_name));
          token = page.nextPageToken;
        } while (token);
        return names;
      };
      // Ties (NaN, missing) fall back to start_time DESC.
      expect(await pages(['metrics.score DESC'])).toEqual([
        'o3',
        'o6',
        'o0',
        'o8',
        'o4',
        'o7',
        'o2',
        'o5',
        'o1',
      ]);
      expect(await pages(['metrics.score ASC'])).toEqual([
        'o4',
        'o8',
        'o0',
        'o6',
        'o3',
        'o7',
        'o2',
        'o5',
        'o1',
      ]);
      expect(await pages(['metrics.score DESC'], "params.kind = 'even'")).toEqual([
        'o6',
        'o0',
        'o8',
        'o4',
        'o2',
      ]);
      const big = await svc.searchRuns({
        experimentIds: [exp],
        orderBy: ['metrics.score DESC'],
        maxResults: 100,
      });
      expect(big.items.map((r) => r.info.run_name)).toEqual([
        'o3',
        'o6',
        'o0',
        'o8',
        'o4',
        'o7',
        'o2',
        'o5',
        'o1',
      ]);
    });

    it('searches runs by metric, param, tag and attribute, ordered and paged', async () => {
      const exp = await svc.createExperiment({ name: unique('search-runs') });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const run = await svc.createRun({ experimentId: exp, runName: `r${i}`, startTime: 1000 + i });
        ids.push(run.info.run_id);
        await svc.logBatch(run.info.run_id, {
          metrics: [{ key: 'acc', value: i / 10, timestamp: 1, step: 0 }],
          params: [{ key: 'model', value: i % 2 === 0 ? 'xgb' : 'onnx' }],
          tags: [{ key: 'team', value: i < 3 ? 'a' : 'b' }],
        });
      }
      const names = async (q: Parameters<TrackingService['searchRuns']>[0]) =>
        (await svc.searchRuns(q)).items.map((r) => r.info.run_name);
      expect(
        await names({ experimentIds: [exp], filter: 'metrics.acc > 0.15', orderBy: ['metrics.acc DESC'] }),
      ).toEqual(['r4', 'r3', 'r2']);
      expect(
        await names({
          experimentIds: [exp],
          filter: "params.model = 'xgb' and tags.team = 'a'",
          orderBy: ['attributes.start_time ASC'],
        }),
      ).toEqual(['r0', 'r2']);
      expect(
        await names({
          experimentIds: [exp],
          filter: "attributes.run_name IN ('r1', 'r3')",
          orderBy: ['run_name'],
        }),
      ).toEqual(['r1', 'r3']);
      expect(await names({ experimentIds: [exp] })).toEqual(['r4', 'r3', 'r2', 'r1', 'r0']);

      const first = await svc.searchRuns({
        experimentIds: [exp],
        orderBy: ['metrics.acc ASC'],
        maxResults: 3,
      });
      expect(first.items.map((r) => r.info.run_name)).toEqual(['r0', 'r1', 'r2']);
      const rest = await svc.searchRuns({
        experimentIds: [exp],
        orderBy: ['metrics.acc ASC'],
        maxResults: 3,
        pageToken: first.nextPageToken!,
      });
      expect(rest.items.map((r) => r.info.run_name)).toEqual(['r3', 'r4']);
      expect(rest.nextPageToken).toBeUndefined();
      expect(first.items[0]!.data.params).toEqual([{ key: 'model', value: 'xgb' }]);

      await svc.deleteRun(ids[0]!);
      expect(await names({ experimentIds: [exp], viewType: 'DELETED_ONLY' })).toEqual(['r0']);
      expect(
        await names({ experimentIds: [exp], viewType: 'ALL', filter: "params.model = 'xgb'" }),
      ).toHaveLength(3);

      await expect(
        svc.searchRuns({ experimentIds: [exp], filter: 'metrics.acc >> 1' }),
      ).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringMatching(/position/i),
      });
      await rejectsWith(
        svc.searchRuns({ experimentIds: [exp], maxResults: 50_001 }),
        'INVALID_PARAMETER_VALUE',
      );
      expect(await names({ experimentIds: [exp], filter: `params.model = "x' OR 1=1 --"` })).toEqual([]);
    });
  });
}
