import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoggedModelService } from '../src/tracking/logged-models-service.js';
import type { LoggedModel } from '../src/tracking/logged-models-types.js';
import type { TrackingService } from '../src/tracking/service.js';

export interface LoggedModelSuiteTarget {
  models: LoggedModelService;
  tracking: TrackingService;
  close(): Promise<void>;
}

const rejectsWith = (p: Promise<unknown>, code: string) => expect(p).rejects.toMatchObject({ code });
let counter = 0;
const unique = (prefix: string) => `${prefix}-${Date.now()}-${++counter}`;
const UNKNOWN_ID = `m-${'0'.repeat(32)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The behaviour suite of MLflow 3's logged models and run outputs, run against every adapter
 * (SQLite, PostgreSQL, HTTP against a live server) through the services.
 */
export function loggedModelSuite(name: string, open: () => Promise<LoggedModelSuiteTarget>): void {
  describe(`logged models: ${name}`, () => {
    let target: LoggedModelSuiteTarget;
    let svc: LoggedModelService;
    let tracking: TrackingService;
    beforeAll(async () => {
      target = await open();
      svc = target.models;
      tracking = target.tracking;
    });
    afterAll(async () => target?.close());

    it('creates a pending model under its experiment with params, tags and an artifact location', async () => {
      const exp = await tracking.createExperiment({ name: unique('lm-create') });
      const run = await tracking.createRun({ experimentId: exp });
      const before = Date.now();
      const model = await svc.createLoggedModel({
        experimentId: exp,
        name: 'fraud-xgb',
        modelType: 'Classifier',
        sourceRunId: run.info.run_id,
        params: [
          { key: 'max_depth', value: '6' },
          { key: 'eta', value: '0.3' },
        ],
        tags: [{ key: 'mlflow.user', value: 'ada' }],
      });
      const id = model.info.model_id;
      expect(id).toMatch(/^m-[0-9a-f]{32}$/);
      expect(model.info).toMatchObject({
        experiment_id: exp,
        name: 'fraud-xgb',
        status: 'LOGGED_MODEL_PENDING',
        model_type: 'Classifier',
        source_run_id: run.info.run_id,
        artifact_uri: `mlflow-artifacts:/${exp}/models/${id}/artifacts`,
        tags: [{ key: 'mlflow.user', value: 'ada' }],
        registrations: [],
      });
      expect(model.info.creation_timestamp_ms).toBeGreaterThanOrEqual(before - 5_000);
      expect(model.info.last_updated_timestamp_ms).toBe(model.info.creation_timestamp_ms);
      expect(model.data).toEqual({
        params: [
          { key: 'eta', value: '0.3' },
          { key: 'max_depth', value: '6' },
        ],
        metrics: [],
      });
      expect(await svc.getLoggedModel(id)).toEqual(model);
      expect(await svc.loggedModelArtifactUri(id)).toBe(model.info.artifact_uri);

      const unnamed = await svc.createLoggedModel({ experimentId: exp });
      expect(unnamed.info.name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
      expect(unnamed.info.model_type).toBeUndefined();
      expect(unnamed.info.source_run_id).toBeUndefined();
      expect(unnamed.info.model_id).not.toBe(id);
    });

    it('refuses unknown or deleted experiments, bad names, unknown runs and bad params', async () => {
      await rejectsWith(svc.createLoggedModel({ experimentId: '987654321' }), 'RESOURCE_DOES_NOT_EXIST');
      const exp = await tracking.createExperiment({ name: unique('lm-errors') });
      for (const name of ['', 'my/model', 'my.model', 'my:model', 'my%model', "my'model", 'my"model']) {
        await expect(svc.createLoggedModel({ experimentId: exp, name })).rejects.toMatchObject({
          code: 'INVALID_PARAMETER_VALUE',
          message: expect.stringContaining('Invalid model name'),
        });
      }
      await rejectsWith(
        svc.createLoggedModel({ experimentId: exp, sourceRunId: '0123456789abcdef0123456789abcdef' }),
        'RESOURCE_DOES_NOT_EXIST',
      );
      await rejectsWith(
        svc.createLoggedModel({ experimentId: exp, params: [{ key: 'a'.repeat(251), value: 'b' }] }),
        'INVALID_PARAMETER_VALUE',
      );
      await rejectsWith(
        svc.createLoggedModel({ experimentId: exp, params: [{ key: 'p', value: 'x'.repeat(6001) }] }),
        'INVALID_PARAMETER_VALUE',
      );
      await rejectsWith(
        svc.createLoggedModel({ experimentId: exp, tags: [{ key: 'a!b', value: 'c' }] }),
        'INVALID_PARAMETER_VALUE',
      );
      const tooMany = Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'v' }));
      await rejectsWith(
        svc.createLoggedModel({ experimentId: exp, params: tooMany }),
        'INVALID_PARAMETER_VALUE',
      );
      await rejectsWith(svc.createLoggedModel({ experimentId: '../etc' }), 'INVALID_PARAMETER_VALUE');

      await tracking.deleteExperiment(exp);
      await expect(svc.createLoggedModel({ experimentId: exp })).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining('non-active experiment'),
      });
      const found = await svc.searchLoggedModels({ experimentIds: [exp] });
      expect(found.items).toEqual([]);
    });

    it('answers unknown and malformed ids as MLflow does', async () => {
      await expect(svc.getLoggedModel(UNKNOWN_ID)).rejects.toMatchObject({
        code: 'RESOURCE_DOES_NOT_EXIST',
        message: expect.stringContaining('not found'),
      });
      await rejectsWith(svc.finalizeLoggedModel(UNKNOWN_ID, 'LOGGED_MODEL_READY'), 'RESOURCE_DOES_NOT_EXIST');
      await rejectsWith(
        svc.setLoggedModelTags(UNKNOWN_ID, [{ key: 'a', value: 'b' }]),
        'RESOURCE_DOES_NOT_EXIST',
      );
      await rejectsWith(
        svc.logLoggedModelParams(UNKNOWN_ID, [{ key: 'a', value: 'b' }]),
        'RESOURCE_DOES_NOT_EXIST',
      );
      await rejectsWith(svc.deleteLoggedModel(UNKNOWN_ID), 'RESOURCE_DOES_NOT_EXIST');
      await rejectsWith(svc.loggedModelArtifactUri(UNKNOWN_ID), 'RESOURCE_DOES_NOT_EXIST');
      for (const bad of ['1234', 'm-XYZ', `m-${'A'.repeat(32)}`, '../m-0', `${UNKNOWN_ID}0`]) {
        await rejectsWith(svc.getLoggedModel(bad), 'INVALID_PARAMETER_VALUE');
      }
    });

    it('finalizes to READY or UPLOAD_FAILED and nothing else', async () => {
      const model = await svc.createLoggedModel({ experimentId: '0' });
      const id = model.info.model_id;
      await sleep(3);
      const ready = await svc.finalizeLoggedModel(id, 'LOGGED_MODEL_READY');
      expect(ready.info.status).toBe('LOGGED_MODEL_READY');
      expect(ready.info.last_updated_timestamp_ms).toBeGreaterThan(model.info.last_updated_timestamp_ms);
      expect(ready.info.creation_timestamp_ms).toBe(model.info.creation_timestamp_ms);
      const failed = await svc.finalizeLoggedModel(id, 'LOGGED_MODEL_UPLOAD_FAILED');
      expect(failed.info.status).toBe('LOGGED_MODEL_UPLOAD_FAILED');
      expect((await svc.getLoggedModel(id)).info.status).toBe('LOGGED_MODEL_UPLOAD_FAILED');
      await rejectsWith(svc.finalizeLoggedModel(id, 'LOGGED_MODEL_PENDING'), 'INVALID_PARAMETER_VALUE');
    });

    it('sets, overwrites and deletes tags', async () => {
      const model = await svc.createLoggedModel({ experimentId: '0', tags: [{ key: 'keep', value: '1' }] });
      const id = model.info.model_id;
      const tagged = await svc.setLoggedModelTags(id, [
        { key: 'stage', value: 'dev' },
        { key: 'mlflow.source/name', value: 'train.py' },
      ]);
      expect(tagged.info.tags).toEqual([
        { key: 'keep', value: '1' },
        { key: 'mlflow.source/name', value: 'train.py' },
        { key: 'stage', value: 'dev' },
      ]);
      await svc.setLoggedModelTags(id, [{ key: 'stage', value: 'prod' }]);
      await svc.deleteLoggedModelTag(id, 'keep');
      await svc.deleteLoggedModelTag(id, 'mlflow.source/name');
      expect((await svc.getLoggedModel(id)).info.tags).toEqual([{ key: 'stage', value: 'prod' }]);
      await expect(svc.deleteLoggedModelTag(id, 'keep')).rejects.toMatchObject({
        code: 'RESOURCE_DOES_NOT_EXIST',
        message: expect.stringContaining('No tag with key'),
      });
      await rejectsWith(svc.setLoggedModelTags(id, [{ key: 'a!b', value: 'c' }]), 'INVALID_PARAMETER_VALUE');
      await rejectsWith(
        svc.setLoggedModelTags(id, [{ key: 't', value: 'x'.repeat(8001) }]),
        'INVALID_PARAMETER_VALUE',
      );
    });

    it('logs params once: the same value again is fine, another value changes nothing', async () => {
      const model = await svc.createLoggedModel({ experimentId: '0', params: [{ key: 'lr', value: '0.1' }] });
      const id = model.info.model_id;
      await svc.logLoggedModelParams(id, [
        { key: 'lr', value: '0.1' },
        { key: 'depth', value: '6' },
      ]);
      await expect(
        svc.logLoggedModelParams(id, [
          { key: 'fresh', value: 'x' },
          { key: 'lr', value: '0.2' },
        ]),
      ).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining("Changing param values is not allowed. Param with key='lr'"),
      });
      expect((await svc.getLoggedModel(id)).data.params).toEqual([
        { key: 'depth', value: '6' },
        { key: 'lr', value: '0.1' },
      ]);
      await rejectsWith(
        svc.logLoggedModelParams(id, [{ key: '../x', value: '1' }]),
        'INVALID_PARAMETER_VALUE',
      );
    });

    it('deletes softly: the model is then not found and no longer searched', async () => {
      const exp = await tracking.createExperiment({ name: unique('lm-delete') });
      const model = await svc.createLoggedModel({ experimentId: exp });
      const id = model.info.model_id;
      await svc.deleteLoggedModel(id);
      await rejectsWith(svc.getLoggedModel(id), 'RESOURCE_DOES_NOT_EXIST');
      await rejectsWith(svc.deleteLoggedModel(id), 'RESOURCE_DOES_NOT_EXIST');
      await rejectsWith(svc.setLoggedModelTags(id, [{ key: 'a', value: 'b' }]), 'RESOURCE_DOES_NOT_EXIST');
      await rejectsWith(svc.finalizeLoggedModel(id, 'LOGGED_MODEL_READY'), 'RESOURCE_DOES_NOT_EXIST');
      expect((await svc.searchLoggedModels({ experimentIds: [exp] })).items).toEqual([]);
    });

    it('searches by attributes, params and tags, ordered and paged', async () => {
      const exp = await tracking.createExperiment({ name: unique('lm-search') });
      const other = await tracking.createExperiment({ name: unique('lm-search-other') });
      const run = await tracking.createRun({ experimentId: exp });
      const made: LoggedModel[] = [];
      for (let i = 0; i < 5; i++) {
        made.push(
          await svc.createLoggedModel({
            experimentId: exp,
            name: `model_${i}`,
            modelType: i < 3 ? 'xgboost' : 'onnx',
            ...(i % 2 === 0 ? { sourceRunId: run.info.run_id } : {}),
            params: [{ key: 'depth', value: String(i) }],
            tags: [{ key: 'team', value: i < 2 ? 'fraud' : 'risk' }],
          }),
        );
        await sleep(3);
      }
      await svc.createLoggedModel({ experimentId: other, name: 'model_other' });
      await svc.finalizeLoggedModel(made[4]!.info.model_id, 'LOGGED_MODEL_READY');
      const names = async (q: Partial<Parameters<LoggedModelService['searchLoggedModels']>[0]>) =>
        (await svc.searchLoggedModels({ experimentIds: [exp], ...q })).items.map((m) => m.info.name);

      // Default order: newest first.
      expect(await names({})).toEqual(['model_4', 'model_3', 'model_2', 'model_1', 'model_0']);
      expect(await names({ filter: "model_type = 'xgboost'", orderBy: [{ field_name: 'name' }] })).toEqual([
        'model_0',
        'model_1',
        'model_2',
      ]);
      expect(await names({ filter: "name LIKE 'model\\_%' AND tags.team = 'risk'" })).toEqual([
        'model_4',
        'model_3',
        'model_2',
      ]);
      expect(await names({ filter: "name ILIKE 'MODEL_1'" })).toEqual(['model_1']);
      expect(await names({ filter: "name LIKE 'MODEL_1'" })).toEqual([]);
      expect(await names({ filter: "params.depth IN ('1', '3')" })).toEqual(['model_3', 'model_1']);
      expect(await names({ filter: 'params.missing IS NULL AND tags.team IS NOT NULL' })).toHaveLength(5);
      expect(await names({ filter: `source_run_id = '${run.info.run_id}'` })).toEqual([
        'model_4',
        'model_2',
        'model_0',
      ]);
      expect(await names({ filter: "status = 'READY'" })).toEqual(['model_4']);
      expect(await names({ filter: "status = 'LOGGED_MODEL_PENDING'" })).toHaveLength(4);
      expect(await names({ filter: "status ILIKE 'ready'" })).toEqual(['model_4']);
      expect(await names({ filter: `model_id = '${made[2]!.info.model_id}'` })).toEqual(['model_2']);
      const t2 = made[2]!.info.creation_timestamp_ms;
      expect(await names({ filter: `creation_timestamp > ${t2}` })).toEqual(['model_4', 'model_3']);
      expect(await names({ filter: `creation_time <= ${t2} AND creation_timestamp >= ${t2}` })).toEqual([
        'model_2',
      ]);
      expect(
        await names({
          orderBy: [
            { field_name: 'model_type', ascending: false },
            { field_name: 'creation_timestamp', ascending: true },
          ],
        }),
      ).toEqual(['model_0', 'model_1', 'model_2', 'model_3', 'model_4']);
      expect(await names({ orderBy: [{ field_name: 'source_run_id' }, { field_name: 'name' }] })).toEqual([
        'model_0',
        'model_2',
        'model_4',
        'model_1',
        'model_3',
      ]);
      expect(
        (await svc.searchLoggedModels({ experimentIds: [exp, other] })).items.map((m) => m.info.name),
      ).toContain('model_other');
      expect((await svc.searchLoggedModels({ experimentIds: [] })).items).toEqual([]);

      const first = await svc.searchLoggedModels({ experimentIds: [exp], maxResults: 2 });
      expect(first.items.map((m) => m.info.name)).toEqual(['model_4', 'model_3']);
      const second = await svc.searchLoggedModels({
        experimentIds: [exp],
        maxResults: 2,
        pageToken: first.nextPageToken!,
      });
      expect(second.items.map((m) => m.info.name)).toEqual(['model_2', 'model_1']);
      const third = await svc.searchLoggedModels({
        experimentIds: [exp],
        maxResults: 2,
        pageToken: second.nextPageToken!,
      });
      expect(third.items.map((m) => m.info.name)).toEqual(['model_0']);
      expect(third.nextPageToken).toBeUndefined();
      expect(third.items[0]).toEqual(made[0]);
    });

    it('refuses search input it cannot honour, with INVALID_PARAMETER_VALUE', async () => {
      const bad = async (
        q: Partial<Parameters<LoggedModelService['searchLoggedModels']>[0]>,
        text?: RegExp,
      ) => {
        const p = svc.searchLoggedModels({ experimentIds: ['0'], ...q });
        await expect(p).rejects.toMatchObject({
          code: 'INVALID_PARAMETER_VALUE',
          ...(text ? { message: expect.stringMatching(text) } : {}),
        });
      };
      await bad({ filter: "artifact_location = 'x'" }, /attribute/);
      await bad({ filter: 'metrics.acc > 0.9' }, /metrics/);
      await bad({ filter: 'name = 3' }, /position/);
      await bad({ filter: "creation_timestamp = 'x'" }, /position/);
      await bad({ filter: "name = 'a' OR name = 'b'" }, /OR/);
      await bad({ filter: "params.lr > '0.1'" }, /comparator/);
      await bad({ orderBy: [{ field_name: 'params.x' }] }, /Invalid order by field name: params/);
      await bad({ orderBy: [{ field_name: 'metrics.acc' }] }, /metrics/);
      await bad({ orderBy: [{ field_name: '' }] }, /field_name/);
      await bad({ datasets: [{ dataset_name: '' }] }, /dataset_name/);
      await bad({ maxResults: 0 });
      await bad({ pageToken: 'not-a-token' });
      expect(
        (await svc.searchLoggedModels({ experimentIds: ['0'], filter: `name = "x' OR 1=1 --"` })).items,
      ).toEqual([]);
    });

    it('links a run to the models it produced (runs/outputs)', async () => {
      const exp = await tracking.createExperiment({ name: unique('lm-outputs') });
      const run = await tracking.createRun({ experimentId: exp });
      const a = await svc.createLoggedModel({ experimentId: exp, sourceRunId: run.info.run_id });
      const b = await svc.createLoggedModel({ experimentId: exp, sourceRunId: run.info.run_id });
      await svc.logOutputs(run.info.run_id, [
        { model_id: a.info.model_id, step: 0 },
        { model_id: b.info.model_id, step: 5 },
      ]);
      await svc.logOutputs(run.info.run_id, [{ model_id: a.info.model_id, step: 0 }]);
      expect((await tracking.getRun(run.info.run_id)).outputs).toEqual({
        model_outputs: [
          { model_id: a.info.model_id, step: 0 },
          { model_id: b.info.model_id, step: 5 },
        ],
      });
      const plain = await tracking.createRun({ experimentId: exp });
      expect((await tracking.getRun(plain.info.run_id)).outputs).toEqual({ model_outputs: [] });

      await rejectsWith(
        svc.logOutputs(run.info.run_id, [{ model_id: UNKNOWN_ID, step: 0 }]),
        'RESOURCE_DOES_NOT_EXIST',
      );
      await rejectsWith(
        svc.logOutputs(run.info.run_id, [{ model_id: 'nope', step: 0 }]),
        'INVALID_PARAMETER_VALUE',
      );
      await rejectsWith(
        svc.logOutputs('0123456789abcdef0123456789abcdef', [{ model_id: a.info.model_id, step: 0 }]),
        'RESOURCE_DOES_NOT_EXIST',
      );
      await tracking.deleteRun(plain.info.run_id);
      await rejectsWith(
        svc.logOutputs(plain.info.run_id, [{ model_id: a.info.model_id, step: 0 }]),
        'INVALID_PARAMETER_VALUE',
      );
    });
  });
}
