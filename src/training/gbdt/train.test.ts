import { describe, expect, it } from 'vitest';
import { Frame } from '../../core/frame.js';
import { seededRandom } from '../../core/random.js';
import { parseXgbModel } from '../../models/xgboost/model.js';
import { sumTrees, transformMargins, treeRange } from '../../models/xgboost/predict.js';
import { rocAuc } from './metrics.js';
import { train } from './train.js';

/** n rows × cols features, uniform in [-1, 1), from a seed; `label` maps a row to its label. */
function dataset(n: number, cols: number, seed: number, label: (x: Float32Array, r: () => number) => number) {
  const rnd = seededRandom(seed);
  const x = new Float32Array(n * cols);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const row = x.subarray(i * cols, (i + 1) * cols);
    for (let c = 0; c < cols; c++) row[c] = rnd() * 2 - 1;
    y[i] = label(row, rnd);
  }
  return { x, y };
}

const xorish = (x: Float32Array) => (x[0]! > 0.3 !== x[1]! > 0 ? 1 : 0);

/** Cairn's xgboost flavor scoring the saved JSON. */
function cairnScore(json: string, x: Float32Array, rows: number): Float32Array {
  const model = parseXgbModel(new TextEncoder().encode(json));
  const out = new Float32Array(rows * model.numGroups);
  const [first, last] = treeRange(model);
  sumTrees(model, x, rows, out, first, last);
  transformMargins(model, out, rows);
  return out;
}

describe('gbdt train', () => {
  it('learns an XOR of thresholds (binary:logistic)', () => {
    const tr = dataset(4000, 4, 1, xorish);
    const te = dataset(2000, 4, 2, xorish);
    const b = train(tr.x, tr.y, { n_estimators: 30, max_depth: 4 });
    expect(rocAuc(b.predict(te.x), te.y)).toBeGreaterThan(0.99);
    expect(b.rounds).toBe(30);
  });

  it('fits a smooth regression (reg:squarederror)', () => {
    const f = (x: Float32Array, r: () => number) => Math.sin(3 * x[0]!) + x[1]! * x[1]! + 0.1 * (r() - 0.5);
    const tr = dataset(5000, 3, 3, f);
    const te = dataset(2000, 3, 4, f);
    const b = train(tr.x, tr.y, { objective: 'reg:squarederror', n_estimators: 100, max_depth: 4, eta: 0.1 });
    const p = b.predict(te.x);
    let se = 0;
    for (let i = 0; i < te.y.length; i++) se += (p[i]! - te.y[i]!) ** 2;
    expect(Math.sqrt(se / te.y.length)).toBeLessThan(0.1);
    expect(b.evalsResult).toEqual({});
  });

  it('is deterministic for a seed, with row and column sampling', () => {
    const tr = dataset(3000, 6, 5, xorish);
    const params = { n_estimators: 15, subsample: 0.7, colsample_bytree: 0.5, seed: 11 };
    const a = train(tr.x, tr.y, params).toJSON();
    expect(train(tr.x, tr.y, params).toJSON()).toBe(a);
    expect(train(tr.x, tr.y, { ...params, seed: 12 }).toJSON()).not.toBe(a);
  });

  it('learns a default direction for missing values, and predicts with it', () => {
    // Feature 0 is missing for most positives; otherwise it is noise. Feature 1 is noise.
    const tr = dataset(4000, 2, 6, (x, r) => {
      const y = r() < 0.5 ? 1 : 0;
      if (y === 1 && r() < 0.9) x[0] = Number.NaN;
      return y;
    });
    const b = train(tr.x, tr.y, { n_estimators: 10, max_depth: 2 });
    const [missing, present] = b.predict(new Float32Array([Number.NaN, 0, 0.5, 0]));
    expect(missing).toBeGreaterThan(0.8);
    expect(present).toBeLessThan(0.3);
    expect(rocAuc(b.predict(tr.x), tr.y)).toBeGreaterThan(0.9);
    const doc = JSON.parse(b.toJSON());
    const root = doc.learner.gradient_booster.model.trees[0];
    expect(root.split_indices[0]).toBe(0);
    // The root sends missing values to the child with the larger weight (the positives' side).
    const [l, r] = [root.left_children[0], root.right_children[0]];
    const [toward, away] = root.default_left[0] ? [l, r] : [r, l];
    expect(root.base_weights[toward]).toBeGreaterThan(root.base_weights[away]);
    // Cairn's scorer follows the same default directions.
    expect(cairnScore(b.toJSON(), tr.x, 4000)).toEqual(b.predict(tr.x));
  });

  it('stops early on a validation set and records best_iteration', () => {
    const noisy = (x: Float32Array, r: () => number) => (x[0]! + (r() - 0.5) * 3 > 0 ? 1 : 0);
    const tr = dataset(2000, 5, 7, noisy);
    const va = dataset(1000, 5, 8, noisy);
    const b = train(
      tr.x,
      tr.y,
      { n_estimators: 500, eta: 0.5, max_depth: 6 },
      {
        evalSet: { X: va.x, y: va.y },
        earlyStoppingRounds: 5,
      },
    );
    expect(b.bestIteration).not.toBeNull();
    expect(b.rounds).toBe(b.bestIteration! + 6);
    expect(b.rounds).toBeLessThan(100);
    const losses = b.evalsResult['validation']!['logloss']!;
    expect(losses).toHaveLength(b.rounds);
    expect(Math.min(...losses)).toBe(losses[b.bestIteration!]);
    const attrs = JSON.parse(b.toJSON()).learner.attributes;
    expect(attrs.best_iteration).toBe(String(b.bestIteration));
    expect(attrs.best_ntree_limit).toBe(String(b.bestIteration! + 1));
    expect(parseXgbModel(new TextEncoder().encode(b.toJSON())).bestIteration).toBe(b.bestIteration);
  });

  it('trains multi:softprob, one tree per class a round', () => {
    const cls = (x: Float32Array) => (x[0]! < -0.3 ? 0 : x[1]! < 0.2 ? 1 : 2);
    const tr = dataset(3000, 3, 9, cls);
    const te = dataset(1000, 3, 10, cls);
    const b = train(
      tr.x,
      tr.y,
      { objective: 'multi:softprob', n_estimators: 20, max_depth: 3 },
      {
        evalSet: { X: te.x, y: te.y },
      },
    );
    const p = b.predict(te.x);
    expect(p).toHaveLength(3000);
    let right = 0;
    for (let i = 0; i < 1000; i++) {
      const row = Array.from(p.subarray(i * 3, i * 3 + 3));
      expect(row[0]! + row[1]! + row[2]!).toBeCloseTo(1, 5);
      if (row.indexOf(Math.max(...row)) === te.y[i]) right++;
    }
    expect(right / 1000).toBeGreaterThan(0.97);
    const doc = JSON.parse(b.toJSON());
    expect(doc.learner.gradient_booster.model.tree_info.slice(0, 6)).toEqual([0, 1, 2, 0, 1, 2]);
    expect(doc.learner.learner_model_param.num_class).toBe('3');
    expect(cairnScore(b.toJSON(), te.x, 1000)).toEqual(p);
  });

  it('ranks the informative feature first by gain, weight and cover', () => {
    const tr = dataset(3000, 4, 11, (x, r) => (x[2]! + 0.2 * (r() - 0.5) > 0 ? 1 : 0));
    const b = train(tr.x, tr.y, { n_estimators: 10, max_depth: 3 }, { featureNames: ['a', 'b', 'c', 'd'] });
    const gain = b.importance('gain');
    const total = b.importance('total_gain');
    expect(Object.entries(total).sort((p, q) => q[1] - p[1])[0]![0]).toBe('c');
    expect(gain['c']).toBeGreaterThan(Math.max(gain['a'] ?? 0, gain['b'] ?? 0, gain['d'] ?? 0));
    const weight = b.importance('weight');
    expect(Object.values(weight).every((w) => Number.isInteger(w) && w > 0)).toBe(true);
    const cover = b.importance('cover');
    expect(cover['c']).toBeGreaterThan(0);
    expect(JSON.parse(b.toJSON()).learner.feature_names).toEqual(['a', 'b', 'c', 'd']);
  });

  it('takes a Frame and its column names', () => {
    const tr = dataset(1000, 2, 12, xorish);
    const a = new Float64Array(1000);
    const c = new Float64Array(1000);
    for (let i = 0; i < 1000; i++) {
      a[i] = tr.x[2 * i]!;
      c[i] = tr.x[2 * i + 1]!;
    }
    const frame = Frame.fromColumns({ a, c });
    const b = train(frame, tr.y, { n_estimators: 5 });
    expect(b.featureNames).toEqual(['a', 'c']);
    expect(b.predict(frame)).toEqual(train(tr.x, tr.y, { n_estimators: 5 }).predict(tr.x));
    // Prediction picks the model's columns by name, whatever the frame's order.
    expect(b.predict(Frame.fromColumns({ c, z: c, a }))).toEqual(b.predict(frame));
  });

  it("matches Cairn's xgboost scorer with scale_pos_weight, L1, gamma and sampling", () => {
    const tr = dataset(3000, 5, 13, (x, r) => {
      if (r() < 0.1) x[1] = Number.NaN;
      return x[0]! * x[1]! > 0.1 ? 1 : 0;
    });
    const b = train(tr.x, tr.y, {
      n_estimators: 25,
      scale_pos_weight: 3,
      reg_alpha: 0.5,
      gamma: 0.2,
      subsample: 0.8,
      colsample_bytree: 0.8,
      min_child_weight: 2,
      max_bin: 64,
    });
    expect(cairnScore(b.toJSON(), tr.x, 3000)).toEqual(b.predict(tr.x));
  });

  it('refuses bad labels and parameters', () => {
    const x = new Float32Array([0, 1, 2]);
    expect(() => train(x, [0, 2, 1])).toThrow(/Label 2/);
    expect(() => train(x, [0, 1, 1], { max_depth: -1 })).toThrow(/max_depth/);
    expect(() => train(x, [0, 1, 1], {}, { earlyStoppingRounds: 3 })).toThrow(/evalSet/);
  });
});
