import { describe, expect, it } from 'vitest';
import { parseXgbModel, type XgbModel } from './model.js';
import { argmaxRows, sumTrees, transformMargins, treeRange } from './predict.js';

interface Tree {
  left_children: number[];
  right_children: number[];
  split_indices: number[];
  split_conditions: number[];
  default_left: number[];
  split_type?: number[];
  tree_param?: Record<string, string>;
}

/** A stump on feature `f`: x < cond → `lo`, else `hi`; missing goes left when `defaultLeft`. */
function stump(f: number, cond: number, lo: number, hi: number, defaultLeft = 1): Tree {
  return {
    left_children: [1, -1, -1],
    right_children: [2, -1, -1],
    split_indices: [f, 0, 0],
    split_conditions: [cond, lo, hi],
    default_left: [defaultLeft, 0, 0],
    split_type: [0, 0, 0],
    tree_param: { num_nodes: '3', size_leaf_vector: '0' },
  };
}

interface Doc {
  objective?: string;
  numClass?: number;
  numFeature?: number;
  baseScore?: string;
  trees?: Tree[];
  treeInfo?: number[];
  booster?: string;
  weightDrop?: number[];
  featureNames?: string[];
  extraModel?: Record<string, unknown>;
  extraParam?: Record<string, string>;
  attributes?: Record<string, string>;
}

function doc(d: Doc = {}) {
  const trees = d.trees ?? [stump(0, 0.5, -1, 1)];
  const model = {
    gbtree_model_param: { num_parallel_tree: '1', num_trees: String(trees.length) },
    trees,
    tree_info: d.treeInfo ?? trees.map(() => 0),
    ...d.extraModel,
  };
  return {
    version: [2, 1, 0],
    learner: {
      attributes: d.attributes ?? {},
      feature_names: d.featureNames ?? [],
      feature_types: [],
      learner_model_param: {
        base_score: d.baseScore ?? '5E-1',
        num_class: String(d.numClass ?? 0),
        num_feature: String(d.numFeature ?? 2),
        num_target: '1',
        ...d.extraParam,
      },
      objective: { name: d.objective ?? 'reg:squarederror' },
      gradient_booster: d.weightDrop
        ? { name: 'dart', gbtree: { name: 'gbtree', model }, weight_drop: d.weightDrop }
        : { name: d.booster ?? 'gbtree', model },
    },
  };
}

const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const parse = (d: Doc = {}) => parseXgbModel(bytes(doc(d)));

function margins(model: XgbModel, rows: number[][], begin = 0, end = 0): number[] {
  const x = Float32Array.from(rows.flat());
  const out = new Float32Array(rows.length * model.numGroups);
  const [first, last] = treeRange(model, begin, end);
  sumTrees(model, x, rows.length, out, first, last);
  return Array.from(out);
}

describe('parseXgbModel and the scorer on hand-made trees', () => {
  it('goes left on x < condition in float32, right on equality; missing follows the default', () => {
    const m = parse({ trees: [stump(0, 0.1, -1, 1), stump(1, 2, 10, 20, 0)], baseScore: '0' });
    // 0.1 as a double is below float32(0.1), but the input becomes float32 first: equal → right.
    expect(margins(m, [[0.1, 1]])).toEqual([1 + 10]);
    expect(margins(m, [[0.0999999, 3]])).toEqual([-1 + 20]);
    expect(margins(m, [[Number.NaN, Number.NaN]])).toEqual([-1 + 20]);
  });

  it('starts from base_score and sums leaves in float32', () => {
    const m = parse({ trees: [stump(0, 0, 0.1, 0.1), stump(0, 0, 0.2, 0.2)], baseScore: '3E-1' });
    const f = Math.fround;
    expect(margins(m, [[1, 0]])).toEqual([f(f(f(0.3) + f(0.1)) + f(0.2))]);
  });

  it('binary:logistic starts from logit(base_score); binary:logitraw from base_score itself', () => {
    const logistic = parse({ objective: 'binary:logistic', baseScore: '2.5E-1', trees: [stump(0, 0, 0, 0)] });
    expect(logistic.baseMargin[0]).toBeCloseTo(Math.log(0.25 / 0.75), 6);
    const raw = parse({ objective: 'binary:logitraw', baseScore: '2.5E-1', trees: [stump(0, 0, 0, 0)] });
    expect(raw.baseMargin[0]).toBe(0.25);
    const out = Float32Array.from([0]);
    transformMargins(parse({ objective: 'binary:logistic' }), out, 1);
    expect(out[0]).toBe(0.5);
  });

  it('multi-class: trees add to their class; one or per-class base scores; softmax and argmax', () => {
    const trees = [stump(0, 0, 1, 2), stump(0, 0, 3, 4), stump(0, 0, 5, 6)];
    const m = parse({ objective: 'multi:softprob', numClass: 3, trees, treeInfo: [0, 1, 2] });
    expect(m.numGroups).toBe(3);
    expect(margins(m, [[-1, 0]])).toEqual([1.5, 3.5, 5.5]);
    // XGBoost >= 3.1 stores one intercept per class.
    const v = parse({
      objective: 'multi:softprob',
      numClass: 3,
      trees,
      treeInfo: [0, 1, 2],
      baseScore: '[1,0,-1]',
    });
    expect(margins(v, [[1, 0]])).toEqual([3, 4, 5]);
    const probs = Float32Array.from(margins(v, [[1, 0]]));
    transformMargins(v, probs, 1);
    const e = [3, 4, 5].map(Math.exp);
    const sum = e.reduce((a, x) => a + x);
    expect(Array.from(probs).map((p, i) => Math.abs(p - e[i]! / sum) < 1e-7)).toEqual([true, true, true]);
    const idx = new Float64Array(1);
    argmaxRows(probs, 1, 3, idx);
    expect(idx[0]).toBe(2);
  });

  it('dart weights multiply each tree', () => {
    const m = parse({
      trees: [stump(0, 0, 2, 2), stump(0, 0, 4, 4)],
      baseScore: '0',
      weightDrop: [0.5, 0.25],
    });
    expect(m.booster).toBe('dart');
    expect(margins(m, [[0, 0]])).toEqual([2 * 0.5 + 4 * 0.25]);
    expect(() => parse({ trees: [stump(0, 0, 2, 2)], weightDrop: [1, 1] })).toThrow(/weight_drop and trees/);
  });

  it('iteration ranges: rounds of num_parallel_tree × classes, or iteration_indptr', () => {
    const trees = [stump(0, 0, 1, 1), stump(0, 0, 10, 10), stump(0, 0, 100, 100)];
    const m = parse({ trees, baseScore: '0' });
    expect(margins(m, [[0, 0]])).toEqual([111]);
    expect(margins(m, [[0, 0]], 0, 2)).toEqual([11]);
    expect(margins(m, [[0, 0]], 1, 3)).toEqual([110]);
    const indptr = parse({ trees, baseScore: '0', extraModel: { iteration_indptr: [0, 2, 3] } });
    expect(margins(indptr, [[0, 0]], 0, 1)).toEqual([11]);
    expect(() => treeRange(m, 0, 4)).toThrow(/the model has 3 boosting rounds/);
    expect(() => treeRange(m, 2, 1)).toThrow(/Invalid iteration_range/);
  });

  it('reads the bare NaN and Infinity XGBoost may write in JSON, but not inside strings', () => {
    const tree: Tree & { loss_changes?: number[] } = stump(0, 12345, -1, 1);
    tree.loss_changes = [7, 7, 7];
    const d = doc({ trees: [tree], baseScore: '0', attributes: { note: '{"missing": NaN}' } });
    const text = JSON.stringify(d).replace('12345', 'Infinity').replace('[7,7,7]', '[NaN,-Infinity,0]');
    const m = parseXgbModel(new TextEncoder().encode(text));
    expect(margins(m, [[1e30, 0]])).toEqual([-1]);
    expect(m.attributes['note']).toBe('{"missing": NaN}');
  });

  it('reads feature names, best_iteration and attributes', () => {
    const m = parse({ featureNames: ['a', 'b'], attributes: { best_iteration: '0', best_score: '0.1' } });
    expect(m.featureNames).toEqual(['a', 'b']);
    expect(m.bestIteration).toBe(0);
    expect(m.attributes['best_score']).toBe('0.1');
    expect(m.version).toEqual([2, 1, 0]);
  });
});

describe('parseXgbModel refuses what it cannot score faithfully', () => {
  it('refuses a truncated legacy binary model and other non-models, naming the formats it reads', () => {
    const legacy = Uint8Array.from([0x62, 0x69, 0x6e, 0x66, 0, 0, 0, 0x3f]);
    expect(() => parseXgbModel(legacy)).toThrow(/Malformed XGBoost legacy binary model: truncated/);
    expect(() => parseXgbModel(new TextEncoder().encode('hello'))).toThrow(
      /Not an XGBoost model: .*JSON and UBJ/,
    );
    expect(() => parseXgbModel(new TextEncoder().encode('{"learner": '))).toThrow(/Malformed XGBoost JSON/);
    expect(() => parseXgbModel(new TextEncoder().encode('{}'))).toThrow(/'learner' is missing/);
  });

  const cyclic = stump(0, 0, 1, 2);
  cyclic.left_children = [1, 0, -1];
  cyclic.right_children = [2, 2, -1];
  const wideChild = stump(0, 0, 1, 2);
  wideChild.right_children = [7, -1, -1];
  const wideFeature = stump(5, 0, 1, 2);
  const categorical = stump(0, 0, 1, 2);
  categorical.split_type = [1, 0, 0];
  const vectorLeaf = stump(0, 0, 1, 2);
  vectorLeaf.tree_param = { size_leaf_vector: '3' };
  const short = stump(0, 0, 1, 2);
  short.split_conditions = [0, 1];

  it.each<[string, Doc, RegExp]>([
    ['a linear booster', { booster: 'gblinear' }, /booster 'gblinear' is not supported/],
    ['an unknown objective', { objective: 'rank:whatever' }, /objective 'rank:whatever' is not supported/],
    ['multi-class objective without classes', { objective: 'multi:softprob' }, /does not fit num_class=0/],
    ['a cycle', { trees: [cyclic] }, /node 0 is reached twice/],
    ['a child out of range', { trees: [wideChild] }, /child out of range/],
    ['a feature out of range', { trees: [wideFeature] }, /splits on feature 5 of 2/],
    ['categorical splits', { trees: [categorical] }, /categorical splits/],
    ['vector leaves', { trees: [vectorLeaf] }, /vector leaves/],
    ['arrays of different lengths', { trees: [short] }, /split_conditions has 2 entries, expected 3/],
    ['tree_info of another length', { treeInfo: [0, 0] }, /tree_info and trees differ/],
    ['a tree group beyond the classes', { treeInfo: [1] }, /bad output group 1/],
    ['feature names of another count', { featureNames: ['a'] }, /names 1 features but has num_feature=2/],
    ['multi-target models', { extraParam: { num_target: '2' } }, /Multi-target/],
    [
      'a base_score out of range',
      { objective: 'binary:logistic', baseScore: '1.5' },
      /base_score must lie in \[0, 1\]/,
    ],
    ['a non-numeric base_score', { baseScore: 'abc' }, /Invalid base_score/],
    ['a log link with base_score 0', { objective: 'count:poisson', baseScore: '0' }, /must be positive/],
    [
      'iteration_indptr not spanning the trees',
      { extraModel: { iteration_indptr: [0, 2] } },
      /does not span/,
    ],
  ])('%s', (_name, d, message) => {
    expect(() => parse(d)).toThrow(message);
  });
});
