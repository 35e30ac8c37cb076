import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CairnClient, connect } from '../../src/client/index.js';
import { Frame } from '../../src/core/frame.js';
import { startServer } from '../../src/server/start.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/models/xgboost/binary');

interface Expected {
  columns: string[];
  rows: Array<Array<number | null>>;
  predict_proba: number[][];
}

async function fixtureFrame(): Promise<{ frame: Frame; expected: Expected }> {
  const expected = JSON.parse(await readFile(path.join(FIXTURE, 'expected.json'), 'utf8')) as Expected;
  const records = expected.rows.map((r) =>
    Object.fromEntries(expected.columns.map((c, i) => [c, r[i] ?? Number.NaN])),
  );
  return {
    frame: Frame.fromRecords(records, Object.fromEntries(expected.columns.map((c) => [c, 'double']))),
    expected,
  };
}

for (const mode of ['embedded', 'remote'] as const) {
  describe(`models through the SDK (${mode})`, () => {
    let client: CairnClient;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      const tmp = await tempDir();
      const env = { CAIRN_HOME: tmp.dir };
      if (mode === 'embedded') {
        client = await connect(`sqlite:///${path.join(tmp.dir, 'cairn.db')}`, {
          env,
          artifactRoot: path.join(tmp.dir, 'artifacts'),
        });
        cleanup = async () => {
          await client.close();
          await tmp.remove();
        };
      } else {
        const server = await startServer({
          port: 0,
          backendStoreUri: `sqlite:///${path.join(tmp.dir, 'cairn.db')}`,
          artifactsDestination: path.join(tmp.dir, 'artifacts'),
        });
        client = await connect(server.url, { env });
        cleanup = async () => {
          await client.close();
          await server.close();
          await tmp.remove();
        };
      }
    });
    afterAll(async () => cleanup?.());

    it('logs, registers, aliases, stages and loads an XGBoost model by every URI form', async () => {
      const { frame, expected } = await fixtureFrame();
      const run = await client.startRun({ experiment: 'models-e2e', name: 'xgb', captureEnvironment: false });
      const logged = await client.logModel(run, path.join(FIXTURE, 'json/model.json'), {
        inferFrom: frame,
        registeredModelName: 'fraud-detector',
      });
      await run.end();
      expect(logged.modelUri).toBe(`runs:/${run.id}/model`);
      expect(logged.modelVersion).toMatchObject({
        name: 'fraud-detector',
        version: '1',
        source: logged.modelUri,
        run_id: run.id,
      });

      await client.registry.setAlias('fraud-detector', 'champion', '1');
      await client.registry.transitionStage('fraud-detector', '1', 'Production', false);
      const probability1 = expected.predict_proba.map((p) => p[1]!);
      for (const uri of [
        logged.modelUri,
        'models:/fraud-detector/1',
        'models:/fraud-detector@champion',
        'models:/fraud-detector/Production',
        'models:/fraud-detector/latest',
      ]) {
        const model = await client.loadModel(uri);
        try {
          expect(model.flavor, uri).toBe('xgboost');
          expect(
            model.signature?.inputs?.map((c) => c.name),
            uri,
          ).toEqual(expected.columns);
          const out = await model.predict(frame);
          const got = Array.from(out.get('prediction')!.values as Float32Array);
          for (const [i, v] of got.entries())
            expect(Math.abs(v - probability1[i]!), `${uri} row ${i}`).toBeLessThan(1e-6);
        } finally {
          await model.close();
        }
      }
      const champion = await client.loadModel('models:/fraud-detector@champion');
      expect(champion.modelVersion?.aliases).toContain('champion');
      await champion.close();

      // The signature is enforced with a clear error.
      const model = await client.loadModel('models:/fraud-detector/1');
      await expect(model.predict(Frame.fromRecords([{ x0: 1 }]))).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining('x1'),
      });
      await model.close();

      const lineage = await client.registry.getLineage('fraud-detector', '1');
      expect(lineage.run?.info.run_id).toBe(run.id);
    });

    it('resolves an MLflow 3 logged model (models:/m-<id>) and versions registered from it', async () => {
      const { frame, expected } = await fixtureFrame();
      const experimentId = (await client.tracking.ensureExperiment('logged-models-e2e')).experiment_id;
      const logged = await client.loggedModels.createLoggedModel({ experimentId, name: 'model' });
      expect(logged.info.artifact_uri).toBe(
        `mlflow-artifacts:/${experimentId}/models/${logged.info.model_id}/artifacts`,
      );
      // Upload the files where MLflow's client puts them, then finalize, as log_model does.
      const store = await client.artifactsFor(logged.info.artifact_uri);
      for (const file of ['MLmodel', 'model.json'])
        await store.put(file, await readFile(path.join(FIXTURE, 'json', file)));
      await client.loggedModels.finalizeLoggedModel(logged.info.model_id, 'LOGGED_MODEL_READY');
      const uri = `models:/${logged.info.model_id}`;
      const version = await client.registry
        .createRegisteredModel({ name: 'from-logged' })
        .then(() => client.registry.createModelVersion({ name: 'from-logged', source: uri }));
      for (const target of [uri, `models:/from-logged/${version.version}`]) {
        const model = await client.loadModel(target);
        const out = await model.predict(frame, { predict_method: 'predict_proba' });
        // The fixture's MLmodel says XGBClassifier: predict_proba gives P(class k) per class.
        expect(Array.from(out.get('probability_1')!.values as Float32Array)[0], target).toBeCloseTo(
          expected.predict_proba[0]![1]!,
          6,
        );
        await model.close();
      }
    });

    it('refuses URIs outside the allowed roots and unknown versions', async () => {
      await expect(client.loadModel('file:///etc')).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
      });
      await expect(client.loadModel('/proc/self/root')).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
      });
      await expect(client.loadModel('models:/fraud-detector/99')).rejects.toMatchObject({
        code: 'RESOURCE_DOES_NOT_EXIST',
      });
      await expect(
        client.registry.createModelVersion({ name: 'fraud-detector', source: 'file:///etc/passwd' }),
      ).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
      });
    });
  });
}
