import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CairnError } from '../../core/errors.js';
import { type Column, Frame } from '../../core/frame.js';
import { xgboostFlavor } from '../flavors/xgboost.js';
import { readManifest } from '../manifest.js';
import { loadModel } from '../model-dir.js';
import { decodeLegacyBinary } from './legacy-binary.js';
import { parseXgbModel, type XgbModel } from './model.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/models/xgboost/', import.meta.url));
const TOL = 1e-6;

interface Expected {
  columns: string[];
  rows: Array<Array<number | null>>;
  predict: number[];
  predict_proba?: number[][];
  margin?: number[] | number[][];
}

async function expectedAt(dir: string): Promise<Expected> {
  return JSON.parse(await readFile(join(dir, 'expected.json'), 'utf8')) as Expected;
}

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

/** Largest difference, relative to the values' scale when it exceeds 1. */
function worst(actual: number[], expected: number[]): number {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(1, ...expected.map(Math.abs));
  return Math.max(0, ...actual.map((a, i) => Math.abs(a - expected[i]!) / scale));
}

async function loadDir(dir: string) {
  return xgboostFlavor.load(dir, await readManifest(dir), { allowCode: false });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Fixture folders that hold a `legacy/` directory beside their JSON one. */
async function legacyFixtures(): Promise<string[]> {
  const names: string[] = [];
  for (const name of (await readdir(FIXTURES)).sort()) {
    if (await exists(join(FIXTURES, name, 'legacy', 'model.xgb'))) names.push(name);
  }
  return names;
}

const LEGACY = await legacyFixtures();

function expectSameModel(legacy: XgbModel, json: XgbModel) {
  expect(legacy.objective.name).toBe(json.objective.name);
  expect(legacy.booster).toBe(json.booster);
  expect(legacy.numFeature).toBe(json.numFeature);
  expect(legacy.numGroups).toBe(json.numGroups);
  expect(legacy.baseMargin).toEqual(json.baseMargin);
  expect(legacy.forest).toEqual(json.forest);
  expect(legacy.roundStarts).toEqual(json.roundStarts);
  expect(legacy.bestIteration).toBe(json.bestIteration);
  expect(legacy.attributes).toEqual(json.attributes);
  expect(Object.is(legacy.sklearnMissing, json.sklearnMissing)).toBe(true);
  expect(legacy.version).toEqual(json.version?.slice(0, 2));
}

describe('XGBoost legacy binary models (XGBoost 1.7 save_model to model.xgb / model.bin)', () => {
  it('has legacy fixtures for the binary, regression and 3-class models, and more', () => {
    expect(LEGACY).toEqual(
      expect.arrayContaining(['binary', 'regression', 'multiclass', 'dart', 'early_stop']),
    );
    expect(LEGACY.length).toBeGreaterThanOrEqual(18);
  });

  it.each(LEGACY)('%s: decodes to the same model as the JSON file', async (name) => {
    const legacy = parseXgbModel(await readFile(join(FIXTURES, name, 'legacy', 'model.xgb')));
    const json = parseXgbModel(await readFile(join(FIXTURES, name, 'json', 'model.json')));
    if (name === 'named') {
      // The binary format stores no feature names.
      expect(json.featureNames).not.toBeNull();
      expect(legacy.featureNames).toBeNull();
    } else {
      expect(legacy.featureNames).toEqual(json.featureNames);
    }
    expectSameModel(legacy, json);
  });

  it.each(LEGACY)("%s: the MLflow-style directory predicts XGBoost's values", async (name) => {
    const e = await expectedAt(join(FIXTURES, name));
    const legacy = await loadDir(join(FIXTURES, name, 'legacy'));
    const json = await loadDir(join(FIXTURES, name, 'json'));
    const out = await legacy.predict(frameOf(e));
    expect(out.names).toEqual((await json.predict(frameOf(e))).names);
    expect(worst(column(out, 'prediction'), e.predict), name).toBeLessThanOrEqual(TOL);
    if (e.predict_proba) {
      // Classifiers: probabilities on request; a softprob Booster gives them beside its labels.
      const proba = out.names.includes('probability_0')
        ? out
        : await legacy.predict(frameOf(e), { predict_method: 'predict_proba' });
      for (let k = 0; k < e.predict_proba[0]!.length; k++) {
        const want = e.predict_proba.map((p) => p[k]!);
        expect(worst(column(proba, `probability_${k}`), want), `${name} class ${k}`).toBeLessThanOrEqual(TOL);
      }
    }
    if (e.margin) {
      const margins = await legacy.predict(frameOf(e), { output_margin: true });
      const same = await json.predict(frameOf(e), { output_margin: true });
      if (Array.isArray(e.margin[0])) {
        const m = e.margin as number[][];
        for (let k = 0; k < m[0]!.length; k++) {
          const got = column(margins, `margin_${k}`);
          expect(
            worst(
              got,
              m.map((r) => r[k]!),
            ),
            name,
          ).toBeLessThanOrEqual(TOL);
          expect(got).toEqual(column(same, `margin_${k}`));
        }
      } else {
        const got = column(margins, 'prediction');
        expect(worst(got, e.margin as number[]), name).toBeLessThanOrEqual(TOL);
        expect(got).toEqual(column(same, 'prediction'));
      }
    }
  });

  it('loads through loadModel: the binary classifier as MLflow 2.x logged it with XGBoost 1.x', async () => {
    const dir = join(FIXTURES, 'binary', 'legacy');
    const manifest = await readManifest(dir);
    expect(manifest.flavors['xgboost']).toMatchObject({ data: 'model.xgb', model_format: 'xgb' });
    const e = await expectedAt(join(FIXTURES, 'binary'));
    const model = await loadModel(dir);
    expect(model.flavor).toBe('xgboost');
    // No feature names in the binary: columns are mapped by the signature, whatever their order.
    const out = await model.predict(frameOf(e, [...e.columns].reverse()));
    expect(out.names).toEqual(['prediction']);
    expect(column(out, 'prediction')).toEqual(e.predict);
    const proba = await model.predict(frameOf(e), { predict_method: 'predict_proba' });
    expect(
      worst(
        column(proba, 'probability_1'),
        e.predict_proba!.map((p) => p[1]!),
      ),
    ).toBeLessThanOrEqual(TOL);
    await model.close();
  });

  it('loads the 3-class and regression models through loadModel', async () => {
    for (const name of ['multiclass', 'regression']) {
      const e = await expectedAt(join(FIXTURES, name));
      const model = await loadModel(join(FIXTURES, name, 'legacy'));
      const out = await model.predict(frameOf(e));
      expect(worst(column(out, 'prediction'), e.predict), name).toBeLessThanOrEqual(TOL);
      await model.close();
    }
  });

  it('stores base_score on the probability scale since XGBoost 1.0 (0.3 for the base_score model)', async () => {
    const bytes = await readFile(join(FIXTURES, 'base_score', 'legacy', 'model.xgb'));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(view.getFloat32(4, true)).toBe(Math.fround(0.3));
    expect([view.getUint32(24, true), view.getUint32(28, true)]).toEqual([1, 7]);
    const doc = decodeLegacyBinary(bytes) as { learner: { learner_model_param: { base_score: string } } };
    expect(Number(doc.learner.learner_model_param.base_score)).toBe(Math.fround(0.3));
  });

  it("reads a pre-1.0 header (base_score as a margin) as XGBoost 1.7's loader does", async () => {
    const dir = join(FIXTURES, 'base_score', 'legacy-v0');
    const e = await expectedAt(dir);
    const model = await loadDir(dir);
    expect(worst(column(await model.predict(frameOf(e)), 'prediction'), e.predict)).toBeLessThanOrEqual(TOL);
    const margins = column(await model.predict(frameOf(e), { output_margin: true }), 'prediction');
    expect(worst(margins, e.margin as number[])).toBeLessThanOrEqual(TOL);
    expect(parseXgbModel(await readFile(join(dir, 'model.xgb'))).version).toBeNull();
  });

  it('loads the small legacy Booster fixture', async () => {
    const dir = join(FIXTURES, 'legacy');
    const e = await expectedAt(dir);
    const out = await (await loadDir(dir)).predict(frameOf(e));
    expect(worst(column(out, 'prediction'), e.predict)).toBeLessThanOrEqual(TOL);
  });

  it('keeps dart weights and early stopping attributes', async () => {
    const dart = parseXgbModel(await readFile(join(FIXTURES, 'dart', 'legacy', 'model.xgb')));
    expect(dart.booster).toBe('dart');
    expect(dart.forest.weights).not.toBeNull();
    expect(Array.from(dart.forest.weights!).some((w) => w !== 1)).toBe(true);
    const early = parseXgbModel(await readFile(join(FIXTURES, 'early_stop', 'legacy', 'model.xgb')));
    expect(early.bestIteration).not.toBeNull();
    expect(early.bestIteration! + 1).toBeLessThan(early.roundStarts.length - 1);
    expect(early.attributes['objective']).toBeUndefined();
    expect(early.attributes['scikit_learn']).toContain('"_estimator_type": "classifier"');
  });
});

/** Parses bytes; returns null on success, else the error, which must be INVALID_PARAMETER_VALUE. */
function failure(bytes: Uint8Array): CairnError | null {
  try {
    parseXgbModel(bytes);
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(CairnError);
    expect((e as CairnError).code).toBe('INVALID_PARAMETER_VALUE');
    return e as CairnError;
  }
}

/** Offsets in a legacy file: the header, the strings after it, the gbtree and first tree params. */
function offsets(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const objective = 4 + 136;
  const booster = objective + 8 + view.getUint32(objective, true);
  const gbtree = booster + 8 + view.getUint32(booster, true);
  return { view, objective, booster, gbtree, tree: gbtree + 160 };
}

function str(s: string): Uint8Array {
  const text = new TextEncoder().encode(s);
  const out = new Uint8Array(8 + text.length);
  new DataView(out.buffer).setUint32(0, text.length, true);
  out.set(text, 8);
  return out;
}

describe('corrupt legacy binaries fail cleanly', () => {
  it('refuses every truncation with INVALID_PARAMETER_VALUE', async () => {
    for (const file of [
      join(FIXTURES, 'legacy', 'model.xgb'),
      join(FIXTURES, 'dart', 'legacy', 'model.xgb'),
    ]) {
      const bytes = new Uint8Array(await readFile(file));
      expect(failure(bytes)).toBeNull();
      for (let n = 0; n < bytes.length; n++) {
        const err = failure(bytes.subarray(0, n));
        expect(err, `${file} cut at ${n}`).not.toBeNull();
      }
      expect(failure(bytes.subarray(0, 100))!.message).toMatch(
        /legacy binary model: truncated \(100 bytes\) while reading the learner parameters at byte 36/,
      );
    }
  });

  it('never crashes on corrupted bytes', async () => {
    const bytes = new Uint8Array(await readFile(join(FIXTURES, 'multiclass', 'legacy', 'model.xgb')));
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let trial = 0; trial < 400; trial++) {
      const copy = bytes.slice();
      for (let k = 0; k < 4; k++) copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
      failure(copy);
    }
  });

  it('caps counts by the bytes left instead of allocating or looping', async () => {
    const bytes = new Uint8Array(await readFile(join(FIXTURES, 'regression', 'legacy', 'model.xgb')));
    const at = offsets(bytes);
    const cases: Array<[string, (v: DataView) => void, RegExp]> = [
      ['num_trees', (v) => v.setInt32(at.gbtree, 0x7fffffff, true), /num_trees 2147483647 does not fit/],
      ['negative num_trees', (v) => v.setInt32(at.gbtree, -1, true), /num_trees -1 does not fit/],
      ['num_nodes', (v) => v.setInt32(at.tree + 4, 0x40000000, true), /tree 0's num_nodes .* does not fit/],
      ['zero nodes', (v) => v.setInt32(at.tree + 4, 0, true), /tree 0 has no nodes/],
      ['a huge string', (v) => v.setUint32(at.objective + 4, 1, true), /out of range/],
      ['a long string', (v) => v.setUint32(at.objective, 0xfffffff0, true), /truncated/],
      ['negative num_class', (v) => v.setInt32(4 + 8, -3, true), /num_class=-3/],
      ['a NaN base_score', (v) => v.setFloat32(4, Number.NaN, true), /base_score NaN/],
    ];
    for (const [what, patch, message] of cases) {
      const copy = bytes.slice();
      patch(new DataView(copy.buffer));
      const started = Date.now();
      expect(failure(copy)?.message, what).toMatch(message);
      expect(Date.now() - started).toBeLessThan(1000);
    }
  });

  it('checks the decoded trees as it does JSON ones', async () => {
    const bytes = new Uint8Array(await readFile(join(FIXTURES, 'regression', 'legacy', 'model.xgb')));
    const at = offsets(bytes);
    const node = at.tree + 148; // the first tree's root
    const wideChild = bytes.slice();
    new DataView(wideChild.buffer).setInt32(node + 4, 9999, true);
    expect(failure(wideChild)?.message).toMatch(/child out of range/);
    const cycle = bytes.slice();
    new DataView(cycle.buffer).setInt32(node + 4, 0, true);
    expect(failure(cycle)?.message).toMatch(/reached twice/);
    const deleted = bytes.slice();
    new DataView(deleted.buffer).setUint32(node + 12, 0xffffffff, true);
    expect(failure(deleted)?.message).toMatch(/splits on feature 2147483647/);
    const group = bytes.slice();
    // tree_info follows the trees, each 148 bytes of parameters and 36 a node.
    let end = at.tree;
    for (let t = at.view.getInt32(at.gbtree, true); t > 0; t--)
      end += 148 + 36 * at.view.getInt32(end + 4, true);
    new DataView(group.buffer).setInt32(end, 5, true);
    expect(failure(group)?.message).toMatch(/bad output group 5/);
  });

  it('names unsupported boosters and objectives', async () => {
    const bytes = new Uint8Array(await readFile(join(FIXTURES, 'legacy', 'model.xgb')));
    const at = offsets(bytes);
    const header = bytes.subarray(0, at.objective);
    const build = (objective: string, booster: string) =>
      Uint8Array.from([...header, ...str(objective), ...str(booster), ...bytes.subarray(at.gbtree)]);
    expect(failure(build('binary:logistic', 'gblinear'))?.message).toMatch(
      /booster 'gblinear' is not supported/,
    );
    expect(failure(build('rank:pairwise', 'gbtree'))?.message).toMatch(/objective 'rank:pairwise'/);
    // Without the `binf` magic, as the loader also accepts.
    expect(failure(bytes.subarray(4))).toBeNull();
  });

  it('refuses other bytes, naming the formats it reads', () => {
    expect(failure(new TextEncoder().encode('hello'))?.message).toMatch(
      /Not an XGBoost model: .*JSON and UBJ .*legacy binary/,
    );
    expect(failure(new Uint8Array(200))?.message).toMatch(/Not an XGBoost model/);
  });
});
