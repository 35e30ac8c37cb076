import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COLS, fixtureModels } from '../../../test/fixtures/gbdt/make_fixture.js';
import { Frame } from '../../core/frame.js';
import { loadModel, saveModel } from '../../models/model-dir.js';
import { parseXgbModel } from '../../models/xgboost/model.js';
import { sumTrees, transformMargins, treeRange } from '../../models/xgboost/predict.js';

const FIXTURE = path.resolve('test/fixtures/gbdt');
const NAMES = ['binary', 'regression', 'multiclass'] as const;

async function fixture() {
  const inputs = JSON.parse(await readFile(path.join(FIXTURE, 'inputs.json'), 'utf8')) as {
    rows: Array<Array<number | null>>;
  };
  const x = Float32Array.from(inputs.rows.flat(), (v) => (v === null ? Number.NaN : v));
  const expected = JSON.parse(await readFile(path.join(FIXTURE, 'xgboost_predictions.json'), 'utf8'));
  return { x, rows: inputs.rows.length, expected: expected as Record<string, number[][]> };
}

function expectClose(actual: ArrayLike<number>, expected: number[], tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst).toBeLessThanOrEqual(tol);
}

describe('gbdt models in XGBoost (committed fixture: trained by Cairn, scored by XGBoost 1.7.4)', () => {
  it("Cairn's xgboost scorer gives XGBoost's predictions for the saved JSON, to 1e-5", async () => {
    const { x, rows, expected } = await fixture();
    for (const name of NAMES) {
      const model = parseXgbModel(await readFile(path.join(FIXTURE, `${name}.model.json`)));
      const out = new Float32Array(rows * model.numGroups);
      const [first, last] = treeRange(model);
      sumTrees(model, x, rows, out, first, last);
      transformMargins(model, out, rows);
      expectClose(out, expected[name]!.flat());
    }
  });

  it('the trainer rebuilds the fixture byte for byte, and predicts as XGBoost does', async () => {
    const { x, expected } = await fixture();
    const { models } = fixtureModels();
    for (const name of NAMES) {
      const committed = await readFile(path.join(FIXTURE, `${name}.model.json`), 'utf8');
      // If this fails after a deliberate change to training, regenerate the fixture (make_fixture.ts).
      expect(models[name].toJSON(), name).toBe(committed);
      expectClose(models[name].predict(x), expected[name]!.flat());
    }
    expect(models.binary.bestIteration).toBe(
      Number(expected['binary_attributes']!['best_iteration' as never]),
    );
  });

  it('serves through a model directory (saveModel → loadModel) with the same predictions', async () => {
    const { x, rows, expected } = await fixture();
    const names = ['f_a', 'f_b', 'f_c', 'f_d', 'f_e'];
    const columns = Object.fromEntries(
      names.map((n, c) => [n, Float64Array.from({ length: rows }, (_, r) => x[r * COLS + c]!)]),
    );
    const dir = await mkdtemp(path.join(tmpdir(), 'cairn-gbdt-'));
    try {
      const bytes = await readFile(path.join(FIXTURE, 'binary.model.json'));
      await saveModel(path.join(dir, 'm'), {
        flavor: 'xgboost',
        files: { 'model.json': bytes },
        flavorConf: {
          code: null,
          data: 'model.json',
          model_class: 'xgboost.core.Booster',
          model_format: 'json',
        },
      });
      const model = await loadModel(path.join(dir, 'm'));
      const out = await model.predict(Frame.fromColumns(columns));
      expectClose(out.get('prediction')!.values as Float32Array, expected['binary']!.flat());
      await model.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
