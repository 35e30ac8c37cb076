import { invalidParam } from '../../core/errors.js';
import type { XgbModel } from './model.js';

const fround = Math.fround;
const MAX_EXP_ARG = fround(88.7);
const EPS16 = fround(1e-16);

/**
 * The trees of boosting rounds [begin, end), as XGBoost's `iteration_range`: `end === 0` means
 * every round. Returns tree indices [first, last).
 */
export function treeRange(model: XgbModel, begin = 0, end = 0): [number, number] {
  const rounds = model.roundStarts.length - 1;
  const stop = end === 0 ? rounds : end;
  if (!Number.isInteger(begin) || !Number.isInteger(stop) || begin < 0 || begin > stop || stop > rounds) {
    throw invalidParam(`Invalid iteration_range [${begin}, ${end}]: the model has ${rounds} boosting rounds`);
  }
  return [model.roundStarts[begin]!, model.roundStarts[stop]!];
}

/**
 * Margins, as XGBoost computes them: for each row (`x` is row-major, `numFeature` float32 values a
 * row, NaN = missing), each output group starts at its base margin and adds, in float32 and tree
 * order, the leaf each tree [first, last) reaches. `out` holds `rows × numGroups` values, row-major.
 *
 * A row walks four trees at once, each a fixed number of branch-free steps (leaves are their own
 * children), so the four walks' memory loads overlap instead of waiting on each other.
 */
export function sumTrees(
  model: XgbModel,
  x: Float32Array,
  rows: number,
  out: Float32Array,
  first: number,
  last: number,
): void {
  const { child, split, value, roots, depth, groups, weights } = model.forest;
  const k = model.numGroups;
  const nf = model.numFeature;
  for (let r = 0; r < rows; r++) {
    const at = r * nf;
    const o = r * k;
    for (let g = 0; g < k; g++) out[o + g] = model.baseMargin[g]!;
    let t = first;
    for (; t + 3 < last; t += 4) {
      let n0 = roots[t]!;
      let n1 = roots[t + 1]!;
      let n2 = roots[t + 2]!;
      let n3 = roots[t + 3]!;
      const steps = Math.max(depth[t]!, depth[t + 1]!, depth[t + 2]!, depth[t + 3]!);
      for (let d = 0; d < steps; d++) {
        n0 = step(child, split, value, x, at, n0);
        n1 = step(child, split, value, x, at, n1);
        n2 = step(child, split, value, x, at, n2);
        n3 = step(child, split, value, x, at, n3);
      }
      addLeaf(out, o, groups, weights, t, value[n0]!);
      addLeaf(out, o, groups, weights, t + 1, value[n1]!);
      addLeaf(out, o, groups, weights, t + 2, value[n2]!);
      addLeaf(out, o, groups, weights, t + 3, value[n3]!);
    }
    for (; t < last; t++) {
      let n = roots[t]!;
      for (let d = depth[t]!; d > 0; d--) n = step(child, split, value, x, at, n);
      addLeaf(out, o, groups, weights, t, value[n]!);
    }
  }
}

/**
 * One step down from node n for the row at `at`. `split[n]` packs (feature << 1) | missingRight.
 * XGBoost goes left when x < condition (both float32): a value that is not NaN goes right iff
 * x >= condition; NaN fails both comparisons and goes by the missingRight bit. (Small and at
 * module level, so V8 inlines it.)
 */
function step(
  child: Int32Array,
  split: Int32Array,
  value: Float32Array,
  x: Float32Array,
  at: number,
  n: number,
) {
  const s = split[n]!;
  const v = x[at + (s >> 1)]!;
  const c = value[n]!;
  return child[2 * n + (+(v >= c) | (s & +!(v < c)))]!;
}

/** Adds tree t's leaf to its group; the Float32Array store rounds the sum as XGBoost's float does. */
function addLeaf(
  out: Float32Array,
  o: number,
  groups: Int32Array,
  w: Float32Array | null,
  t: number,
  leaf: number,
) {
  const at = o + groups[t]!;
  out[at] = out[at]! + (w === null ? leaf : fround(leaf * w[t]!));
}

/** Applies the objective's prediction transform in place (all but `softmax`, see `argmaxRows`). */
export function transformMargins(model: XgbModel, m: Float32Array, rows: number): void {
  const n = rows * model.numGroups;
  switch (model.objective.transform) {
    case 'identity':
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) m[i] = sigmoid(m[i]!);
      return;
    case 'exp':
      for (let i = 0; i < n; i++) m[i] = Math.exp(m[i]!);
      return;
    case 'hinge':
      for (let i = 0; i < n; i++) m[i] = m[i]! > 0 ? 1 : 0;
      return;
    case 'softprob':
    case 'softmax':
      softmaxRows(m, rows, model.numGroups);
      return;
  }
}

/** XGBoost's float sigmoid: 1 / (exp(min(-x, 88.7)) + 1 + 1e-16), each step rounded to float32. */
function sigmoid(x: number): number {
  const e = fround(Math.exp(Math.min(-x, MAX_EXP_ARG)));
  return 1 / fround(fround(e + 1) + EPS16);
}

/** XGBoost's softmax over each row's k margins: max-shifted exponentials over their float sum. */
function softmaxRows(m: Float32Array, rows: number, k: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    let max = m[o]!;
    for (let g = 1; g < k; g++) if (m[o + g]! > max) max = m[o + g]!;
    let sum = 0; // a double in XGBoost too
    for (let g = 0; g < k; g++) {
      const e = fround(Math.exp(fround(m[o + g]! - max)));
      m[o + g] = e;
      sum += e;
    }
    const total = fround(sum);
    for (let g = 0; g < k; g++) m[o + g] = m[o + g]! / total;
  }
}

/** Index of each row's largest of k values (the first on ties), as multi:softmax predicts. */
export function argmaxRows(m: Float32Array, rows: number, k: number, out: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    let best = 0;
    for (let g = 1; g < k; g++) if (m[o + g]! > m[o + best]!) best = g;
    out[r] = best;
  }
}
