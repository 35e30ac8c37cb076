import { cp, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type Column, Frame } from '../../core/frame.js';
import { readManifest } from '../manifest.js';
import { loadModel } from '../model-dir.js';
import type { ModelManifest } from '../types.js';
import { xgboostFlavor } from './xgboost.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/models/xgboost/', import.meta.url));
const TOL = 1e-6;

interface Expected {
  columns: string[];
  rows: Array<Array<number | null>>;
  predict: number[];
  predict_proba?: number[][];
  margin?: number[] | number[][];
  predict_all_trees?: number[];
}

async function load(dir: string) {
  return xgboostFlavor.load(dir, await readManifest(dir), { allowCode: false });
}

async function expectedOf(name: string): Promise<Expected> {
  return JSON.parse(await readFile(join(FIXTURES, name, 'expected.json'), 'utf8')) as Expected;
}

/** The expected inputs as a frame, its columns in the order given (default: the fixture's). */
function frameOf(e: Expected, order = e.columns): Frame {
  return new Frame(
    order.map((name): Column => {
      const j = e.columns.indexOf(name);
      return { name, type: 'double', values: Float64Array.from(e.rows, (r) => r[j] ?? Number.NaN) };
    }),
  );
}

function column(frame: Frame, name: string): number[] {
  const c = frame.get(name);
  if (!c) throw new Error(`no column ${name} in [${frame.names.join(', ')}]`);
  return Array.from(c.values as ArrayLike<number>);
}

function expectClose(actual: number[], expected: number[]) {
  expect(actual.length).toBe(expected.length);
  const worst = Math.max(0, ...actual.map((a, i) => Math.abs(a - expected[i]!)));
  expect(worst).toBeLessThanOrEqual(TOL);
}

const reversed = (cols: string[]) => [...cols].reverse();
const FORMATS = ['json', 'ubj'] as const;

describe.each(FORMATS)('xgboost flavor parity with XGBoost (%s)', (format) => {
  it('binary classifier: labels only (as MLflow), predict_proba on request, NaNs following default directions', async () => {
    const e = await expectedOf('binary');
    const model = await load(join(FIXTURES, 'binary', format));
    // Columns come mapped by the signature's names, whatever the frame's order.
    const out = await model.predict(frameOf(e, reversed(e.columns)));
    expect(out.names).toEqual(['prediction']);
    expect(out.get('prediction')!.type).toBe('long');
    expect(column(out, 'prediction')).toEqual(e.predict);
    const proba = await model.predict(frameOf(e), { predict_method: 'predict_proba' });
    expect(proba.names).toEqual(['probability_0', 'probability_1']);
    for (const k of [0, 1])
      expectClose(
        column(proba, `probability_${k}`),
        e.predict_proba!.map((p) => p[k]!),
      );
    expect(column(await model.predict(frameOf(e), { predict_method: 'predict' }), 'prediction')).toEqual(
      e.predict,
    );
    await expect(model.predict(frameOf(e), { predict_method: 'decision_function' })).rejects.toThrow(
      /predict_method must be 'predict' or 'predict_proba'/,
    );
    const margin = await model.predict(frameOf(e), { output_margin: true });
    expectClose(column(margin, 'prediction'), e.margin as number[]);
  });

  it('regression: values, frame column order when the model has neither names nor signature', async () => {
    const e = await expectedOf('regression');
    const out = await (await load(join(FIXTURES, 'regression', format))).predict(frameOf(e));
    expect(out.names).toEqual(['prediction']);
    expect(out.get('prediction')!.type).toBe('float');
    expectClose(column(out, 'prediction'), e.predict);
  });

  it('3-class multi:softprob classifier: argmax labels; per-class probabilities on request', async () => {
    const e = await expectedOf('multiclass');
    const model = await load(join(FIXTURES, 'multiclass', format));
    const out = await model.predict(frameOf(e));
    expect(out.names).toEqual(['prediction']);
    expect(column(out, 'prediction')).toEqual(e.predict);
    const proba = await model.predict(frameOf(e), { predict_method: 'predict_proba' });
    expect(proba.names).toEqual(['probability_0', 'probability_1', 'probability_2']);
    for (let k = 0; k < 3; k++) {
      expectClose(
        column(proba, `probability_${k}`),
        e.predict_proba!.map((p) => p[k]!),
      );
    }
    const margin = await model.predict(frameOf(e), { output_margin: true });
    for (let k = 0; k < 3; k++) {
      expectClose(
        column(margin, `margin_${k}`),
        (e.margin as number[][]).map((p) => p[k]!),
      );
    }
  });

  it('Booster with base_score set explicitly: probability from logit(base_score) + trees', async () => {
    const e = await expectedOf('base_score');
    const model = await load(join(FIXTURES, 'base_score', format));
    const out = await model.predict(frameOf(e));
    expect(out.names).toEqual(['prediction']);
    expectClose(column(out, 'prediction'), e.predict);
    expectClose(
      column(await model.predict(frameOf(e), { output_margin: true }), 'prediction'),
      e.margin as number[],
    );
  });

  it("feature names in the model: columns mapped by name; multi:softmax's class index", async () => {
    const e = await expectedOf('named');
    const out = await (await load(join(FIXTURES, 'named', format))).predict(frameOf(e, reversed(e.columns)));
    expect(out.names).toEqual(['prediction']);
    expect(out.get('prediction')!.type).toBe('long');
    expect(column(out, 'prediction')).toEqual(e.predict);
  });

  it('early stopping: sklearn classes stop at best_iteration; iteration_range overrides', async () => {
    const e = await expectedOf('early_stop');
    const model = await load(join(FIXTURES, 'early_stop', format));
    const out = await model.predict(frameOf(e));
    expect(column(out, 'prediction')).toEqual(e.predict);
    expectClose(
      column(await model.predict(frameOf(e), { predict_method: 'predict_proba' }), 'probability_1'),
      e.predict_proba!.map((p) => p[1]!),
    );
    const doc = JSON.parse(await readFile(join(FIXTURES, 'early_stop', 'json', 'model.json'), 'utf8'));
    const rounds = doc.learner.gradient_booster.model.trees.length as number;
    const best = Number(doc.learner.attributes.best_iteration);
    expect(best + 1).toBeLessThan(rounds);
    const all = await model.predict(frameOf(e), {
      iteration_range: [0, rounds],
      predict_method: 'predict_proba',
    });
    expectClose(column(all, 'probability_1'), e.predict_all_trees!);
  });

  it("sklearn wrapper's missing=-999: inputs equal to it are missing", async () => {
    const e = await expectedOf('sentinel');
    const out = await (await load(join(FIXTURES, 'sentinel', format))).predict(frameOf(e));
    expect(e.rows.flat()).toContain(-999);
    expectClose(column(out, 'prediction'), e.predict);
  });

  it('dart booster: trees weighted by weight_drop', async () => {
    const e = await expectedOf('dart');
    const out = await (await load(join(FIXTURES, 'dart', format))).predict(frameOf(e));
    expectClose(column(out, 'prediction'), e.predict);
  });
});

describe('xgboost flavor: layouts, objectives, errors', () => {
  it('loads through loadModel (flavor registry, signature enforcement)', async () => {
    const e = await expectedOf('binary');
    const model = await loadModel(join(FIXTURES, 'binary', 'ubj'));
    expect(model.flavor).toBe('xgboost');
    const out = await model.predict(frameOf(e, reversed(e.columns)));
    expect(column(out, 'prediction')).toEqual(e.predict);
    await model.close();
  });

  it('reads model.xgb holding UBJ (what MLflow writes with XGBoost >= 2)', async () => {
    const e = await expectedOf('binary');
    const out = await (await load(join(FIXTURES, 'binary', 'xgb'))).predict(frameOf(e));
    expect(column(out, 'prediction')).toEqual(e.predict);
  });

  it('every other supported objective matches XGBoost', async () => {
    const names = (await readdir(FIXTURES)).filter((n) => n.startsWith('objective-'));
    expect(names.length).toBeGreaterThanOrEqual(10);
    for (const name of names) {
      const e = await expectedOf(name);
      const model = await load(join(FIXTURES, name, 'json'));
      const out = await model.predict(frameOf(e));
      const scale = Math.max(1, ...e.predict.map(Math.abs));
      const worst = Math.max(...column(out, 'prediction').map((v, i) => Math.abs(v - e.predict[i]!) / scale));
      expect(worst, name).toBeLessThanOrEqual(TOL);
      expectClose(
        column(await model.predict(frameOf(e), { output_margin: true }), 'prediction'),
        e.margin as number[],
      );
    }
  });

  it("reads model.xgb holding XGBoost 1.x's legacy binary format (what MLflow wrote before XGBoost 2)", async () => {
    const e = await expectedOf('legacy');
    const out = await (await load(join(FIXTURES, 'legacy'))).predict(frameOf(e));
    expectClose(column(out, 'prediction'), e.predict);
  });

  it('names a missing feature column', async () => {
    const e = await expectedOf('named');
    const model = await load(join(FIXTURES, 'named', 'json'));
    const frame = frameOf(
      e,
      e.columns.filter((c) => c !== 'income'),
    );
    await expect(model.predict(frame)).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: "Missing feature column 'income'",
    });
  });

  it('refuses a wrong number of unnamed columns, a string column, and unknown params', async () => {
    const e = await expectedOf('regression');
    const model = await load(join(FIXTURES, 'regression', 'json'));
    await expect(model.predict(frameOf(e, e.columns.slice(1)))).rejects.toThrow(
      /expects 8 feature columns; the input has 7/,
    );
    const cols = [...frameOf(e).columns];
    cols[2] = { name: 'c2', type: 'string', values: e.rows.map(() => 'x') };
    await expect(model.predict(new Frame(cols))).rejects.toThrow("Feature column 'c2' has type string");
    await expect(model.predict(frameOf(e), { ntree_limit: 3 })).rejects.toThrow(
      /Unknown parameter 'ntree_limit'/,
    );
    await expect(model.predict(frameOf(e), { iteration_range: [0, 99] })).rejects.toThrow(
      /30 boosting rounds/,
    );
  });

  it('accepts integer, float and boolean columns, and scores zero rows', async () => {
    const e = await expectedOf('regression');
    const model = await load(join(FIXTURES, 'regression', 'json'));
    const f32 = new Frame(
      frameOf(e).columns.map((c) => ({
        name: c.name,
        type: 'float' as const,
        values: Float32Array.from(c.values as Float64Array),
      })),
    );
    expectClose(column(await model.predict(f32), 'prediction'), e.predict);
    const ints = new Frame(
      e.columns.map((name) => ({ name, type: 'integer' as const, values: new Int32Array(2) })),
    );
    expect((await model.predict(ints)).length).toBe(2);
    const empty = new Frame(
      e.columns.map((name) => ({ name, type: 'double' as const, values: new Float64Array(0) })),
    );
    expect((await model.predict(empty)).length).toBe(0);
  });

  const temps: string[] = [];
  afterAll(async () => {
    await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('refuses a data path that escapes the model directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-xgb-'));
    temps.push(dir);
    await cp(join(FIXTURES, 'regression', 'json'), join(dir, 'm'), { recursive: true });
    await writeFile(
      join(dir, 'outside.json'),
      await readFile(join(FIXTURES, 'regression', 'json', 'model.json')),
    );
    await symlink(join(dir, 'outside.json'), join(dir, 'm', 'link.json'));
    const manifest = await readManifest(join(dir, 'm'));
    const withData = (data: string): ModelManifest => ({
      ...manifest,
      flavors: { ...manifest.flavors, xgboost: { ...manifest.flavors['xgboost'], data } },
    });
    const opts = { allowCode: false };
    await expect(xgboostFlavor.load(join(dir, 'm'), withData('../outside.json'), opts)).rejects.toThrow(
      /Invalid artifact path/,
    );
    await expect(xgboostFlavor.load(join(dir, 'm'), withData('link.json'), opts)).rejects.toThrow(
      /outside the model/,
    );
    await expect(xgboostFlavor.load(join(dir, 'm'), withData('nope.json'), opts)).rejects.toThrow(
      /is missing/,
    );
  });
});
