import { invalidParam } from '../../core/errors.js';
import { seededRandom } from '../../core/random.js';
import { type BinnedData, binFeatures } from './binning.js';
import { addTree, Booster } from './booster.js';
import { type Matrix, toMatrix } from './matrix.js';
import { evaluate, maximizes } from './metrics.js';
import { objectiveFor, type TrainObjective } from './objectives.js';
import { resolveParams } from './params.js';
import { TreeWorkspace } from './tree-builder.js';
import type { EvalData, Features, GbdtParams, ResolvedParams, TrainOptions, Tree } from './types.js';

interface EvalState {
  name: string;
  m: Matrix;
  y: Float32Array;
  margin: Float32Array;
}

/**
 * Trains gradient-boosted trees as XGBoost's `hist` method with `grow_policy=depthwise`: features
 * cut into at most `max_bin` bins, trees grown level by level from gradient histograms, missing
 * values sent the way that gains more at each split. Deterministic for a given `seed`.
 *
 * `X` is row-major float32 (NaN = missing) or a Frame of numeric columns; `y` holds 0/1 labels
 * (binary:logistic), class indices (multi:softprob) or targets (reg:squarederror).
 */
export function train(
  X: Features,
  y: ArrayLike<number>,
  params: GbdtParams = {},
  options: TrainOptions = {},
): Booster {
  const labels = Float32Array.from(y);
  const n = labels.length;
  if (n === 0) throw invalidParam('No training rows');
  const p = resolveParams(
    params,
    labels.reduce((a, b) => Math.max(a, b), 0),
  );
  const obj = objectiveFor(p);
  checkLabels(labels, p);
  const m = toMatrix(X, n, options.featureNames);
  const data = binFeatures(m, p.max_bin);
  const k = obj.groups;
  const base = obj.baseMargin(p.base_score);
  const margin = new Float32Array(n * k).fill(base);
  const evals = evalStates(options.evalSet, m, base, k, p);
  const callbacks = options.callbacks ?? [];
  const evalTrain = options.evalTrain ?? callbacks.length > 0;
  for (const cb of callbacks)
    cb.beforeTraining?.({ params: p, numRows: n, numFeature: m.cols, featureNames: m.names });

  const ws = new TreeWorkspace(data);
  const grad = new Float32Array(n * k);
  const hess = new Float32Array(n * k);
  const random = seededRandom(p.seed);
  const sample = new Int32Array(n);
  const inSample = new Uint8Array(n);
  const trees: Tree[] = [];
  const history: Record<string, Record<string, number[]>> = {};
  const stopRounds = options.earlyStoppingRounds;
  if (stopRounds !== undefined && evals.length === 0) throw invalidParam('Early stopping needs an evalSet');
  const watched = p.eval_metric[p.eval_metric.length - 1]!;
  let bestIteration: number | null = null;
  let bestScore: number | null = null;

  for (let round = 0; round < p.n_estimators; round++) {
    obj.gradients(margin, labels, grad, hess);
    const count = sampleRows(p.subsample, random, sample, inSample);
    for (let g = 0; g < k; g++) {
      ws.rows.set(sample.subarray(0, count));
      const features = sampleFeatures(m.cols, p.colsample_bytree, random);
      const gs = grad.subarray(g * n, (g + 1) * n);
      const hs = hess.subarray(g * n, (g + 1) * n);
      const { tree, splitBin } = ws.grow(p, gs, hs, count, features, g, margin, k);
      if (count < n) addTreeBinned(tree, splitBin, data, inSample, margin, k);
      for (const e of evals) addTree(tree, e.m.data, e.m.cols, e.m.rows, e.margin, k);
      trees.push(tree);
    }
    const metrics: Record<string, number> = {};
    if (evalTrain) Object.assign(metrics, scores('train', margin, labels, obj, p));
    for (const e of evals) Object.assign(metrics, scores(e.name, e.margin, e.y, obj, p));
    for (const [key, value] of Object.entries(metrics)) {
      const cut = key.lastIndexOf('-');
      const set = key.slice(0, cut);
      const metric = key.slice(cut + 1);
      history[set] ??= {};
      history[set][metric] ??= [];
      history[set][metric].push(value);
    }
    let stop = false;
    for (const cb of callbacks) if (cb.afterIteration?.(round, metrics) === true) stop = true;
    if (stopRounds !== undefined) {
      const score = metrics[`${evals[evals.length - 1]!.name}-${watched}`]!;
      const better = bestScore === null || (maximizes(watched) ? score > bestScore : score < bestScore);
      if (better) {
        bestScore = score;
        bestIteration = round;
      } else if (round - bestIteration! >= stopRounds) stop = true;
    }
    if (stop) break;
  }
  const rounds = trees.length / k;
  for (const cb of callbacks) cb.afterTraining?.({ bestIteration, bestScore, rounds });
  return new Booster({
    params: p,
    numFeature: m.cols,
    featureNames: m.names,
    trees,
    groups: k,
    bestIteration,
    bestScore,
    evalsResult: history,
  });
}

function checkLabels(y: Float32Array, p: ResolvedParams): void {
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    const ok =
      p.objective === 'binary:logistic'
        ? v === 0 || v === 1
        : p.objective === 'multi:softprob'
          ? Number.isInteger(v) && v >= 0 && v < p.num_class
          : Number.isFinite(v);
    if (!ok) throw invalidParam(`Label ${v} at row ${i} is not valid for ${p.objective}`);
  }
}

function evalStates(
  sets: EvalData | EvalData[] | undefined,
  train: Matrix,
  base: number,
  k: number,
  p: ResolvedParams,
): EvalState[] {
  const list = sets === undefined ? [] : Array.isArray(sets) ? sets : [sets];
  return list.map((e, i) => {
    const y = Float32Array.from(e.y);
    checkLabels(y, p);
    const m = toMatrix(e.X, y.length);
    if (m.cols !== train.cols) throw invalidParam(`evalSet ${i} has ${m.cols} features, X has ${train.cols}`);
    const name = e.name ?? (list.length === 1 ? 'validation' : `validation_${i}`);
    if (name === 'train' || name.includes('-')) throw invalidParam(`Invalid eval set name '${name}'`);
    return { name, m, y, margin: new Float32Array(y.length * k).fill(base) };
  });
}

function scores(
  name: string,
  margin: Float32Array,
  y: Float32Array,
  obj: TrainObjective,
  p: ResolvedParams,
): Record<string, number> {
  const pred = margin.slice();
  obj.transform(pred);
  const out: Record<string, number> = {};
  for (const metric of p.eval_metric) out[`${name}-${metric}`] = evaluate(metric, pred, y, obj.groups);
  return out;
}

/** Rows kept for this round (each with probability `rate`), ascending; marks them in `inSample`. */
function sampleRows(rate: number, random: () => number, sample: Int32Array, inSample: Uint8Array): number {
  let count = 0;
  for (let r = 0; r < sample.length; r++) {
    const keep = rate >= 1 || random() < rate;
    inSample[r] = keep ? 1 : 0;
    if (keep) sample[count++] = r;
  }
  return count;
}

/** max(1, floor(rate × cols)) features drawn without replacement, ascending. */
function sampleFeatures(cols: number, rate: number, random: () => number): Int32Array {
  const all = Int32Array.from({ length: cols }, (_, i) => i);
  if (rate >= 1) return all;
  const take = Math.max(1, Math.floor(rate * cols));
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(random() * (cols - i));
    const t = all[i]!;
    all[i] = all[j]!;
    all[j] = t;
  }
  return all.subarray(0, take).sort();
}

/** Adds the tree's leaves to the margins of rows left out of its sample, walking the binned data. */
function addTreeBinned(
  tree: Tree,
  splitBin: Int32Array,
  data: BinnedData,
  inSample: Uint8Array,
  margin: Float32Array,
  stride: number,
): void {
  const { left, right, feature, defaultLeft, cond } = tree;
  const { codes, rows, count } = data;
  for (let r = 0; r < rows; r++) {
    if (inSample[r]) continue;
    let nd = 0;
    while (left[nd] !== -1) {
      const f = feature[nd]!;
      const c = codes[f * rows + r]!;
      const goLeft = c === count[f] ? defaultLeft[nd] === 1 : c <= splitBin[nd]!;
      nd = goLeft ? left[nd]! : right[nd]!;
    }
    const at = r * stride + tree.group;
    margin[at] = margin[at]! + cond[nd]!;
  }
}
