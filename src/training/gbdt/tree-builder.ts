import type { BinnedData } from './binning.js';
import { buildHistogram, clearHistogram, subtractHistogram } from './histogram.js';
import type { ResolvedParams, Tree } from './types.js';

/** Loss reductions at or below this are no split (XGBoost's kRtEps). */
const RT_EPS = 1e-6;

/** Buffers reused across trees: one training set's worth of row indices and gradient scratch. */
export class TreeWorkspace {
  /** The rows of the tree being grown, partitioned by node; the caller fills `rows[0..count)`. */
  readonly rows: Int32Array;
  private readonly scratch: Int32Array;
  private readonly g: Float64Array;
  private readonly h: Float64Array;
  private readonly pool: Float64Array[] = [];

  constructor(readonly data: BinnedData) {
    this.rows = new Int32Array(data.rows);
    this.scratch = new Int32Array(data.rows);
    this.g = new Float64Array(data.rows);
    this.h = new Float64Array(data.rows);
  }

  /**
   * Grows one tree depth-wise on `rows[0..count)` (ascending) with gradients `grad`/`hess`,
   * considering only `features` (ascending), and adds its leaf values to those rows' margins
   * (`margin[row * stride + group]`). Returns the tree and each inner node's split bin.
   */
  grow(
    p: ResolvedParams,
    grad: Float32Array,
    hess: Float32Array,
    count: number,
    features: Int32Array,
    group: number,
    margin: Float32Array,
    stride: number,
  ): { tree: Tree; splitBin: Int32Array } {
    const { data, rows } = this;
    const nodes = new NodeList();
    nodes.add(-1, 0, count, sumOf(grad, rows, count), sumOf(hess, rows, count), p);
    let level = [0];
    let hists: Array<Float64Array | null> = [
      p.max_depth > 0 ? this.histogramOf(grad, hess, features, 0, count) : null,
    ];
    for (let depth = 0; level.length > 0; depth++) {
      const nextLevel: number[] = [];
      const nextHists: Array<Float64Array | null> = [];
      for (let k = 0; k < level.length; k++) {
        const id = level[k]!;
        const hist = hists[k]!;
        const split =
          depth < p.max_depth ? bestSplit(hist, data, features, nodes.G[id]!, nodes.H[id]!, p) : null;
        if (!split) {
          if (hist) this.pool.push(hist);
          nodes.makeLeaf(id, p.eta);
          continue;
        }
        const start = nodes.start[id]!;
        const end = nodes.end[id]!;
        const mid = this.partition(split.feature, split.bin, split.defaultLeft, start, end);
        const l = nodes.add(id, start, mid, split.GL, split.HL, p);
        const r = nodes.add(id, mid, end, nodes.G[id]! - split.GL, nodes.H[id]! - split.HL, p);
        nodes.split(id, l, r, split, data.cuts[data.cutStart[split.feature]! + split.bin]!);
        nextLevel.push(l, r);
        if (depth + 1 >= p.max_depth) {
          this.pool.push(hist);
          nextHists.push(null, null);
          continue;
        }
        // Build the smaller child's histogram; the parent's minus it is the larger child's.
        const leftSmaller = mid - start <= end - mid;
        const small = leftSmaller
          ? this.histogramOf(grad, hess, features, start, mid)
          : this.histogramOf(grad, hess, features, mid, end);
        subtractHistogram(hist, small, data.slotStart, data.count, features);
        nextHists.push(leftSmaller ? small : hist, leftSmaller ? hist : small);
      }
      level = nextLevel;
      hists = nextHists;
    }
    for (let id = 0; id < nodes.size; id++) {
      if (nodes.left[id] !== -1) continue;
      addLeaf(margin, rows, nodes.start[id]!, nodes.end[id]!, stride, group, nodes.cond[id]!);
    }
    return { tree: nodes.toTree(group), splitBin: Int32Array.from(nodes.bin) };
  }

  private histogramOf(
    grad: Float32Array,
    hess: Float32Array,
    features: Int32Array,
    start: number,
    end: number,
  ): Float64Array {
    const { data } = this;
    let hist = this.pool.pop();
    if (hist) clearHistogram(hist, data.slotStart, data.count, features);
    else hist = new Float64Array(2 * data.totalSlots);
    buildHistogram(
      hist,
      data.codes,
      data.rows,
      data.slotStart,
      features,
      grad,
      hess,
      this.rows,
      start,
      end,
      this.g,
      this.h,
    );
    return hist;
  }

  /** Stable partition of rows[start..end) into those going left, then right; returns the boundary. */
  private partition(feature: number, bin: number, defaultLeft: boolean, start: number, end: number): number {
    const { rows, scratch } = this;
    const codes = this.data.codes;
    const base = feature * this.data.rows;
    const missing = this.data.count[feature]!;
    let w = start;
    let s = 0;
    for (let i = start; i < end; i++) {
      const r = rows[i]!;
      const c = codes[base + r]!;
      if (c === missing ? defaultLeft : c <= bin) rows[w++] = r;
      else scratch[s++] = r;
    }
    rows.set(scratch.subarray(0, s), w);
    return w;
  }
}

function sumOf(v: Float32Array, rows: Int32Array, count: number): number {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += v[rows[i]!]!;
  return sum;
}

/** Adds a leaf's value to the margins of its rows (float32, as XGBoost's prediction cache). */
function addLeaf(
  margin: Float32Array,
  rows: Int32Array,
  start: number,
  end: number,
  stride: number,
  group: number,
  value: number,
): void {
  for (let i = start; i < end; i++) {
    const at = rows[i]! * stride + group;
    margin[at] = margin[at]! + value;
  }
}

interface Split {
  feature: number;
  bin: number;
  defaultLeft: boolean;
  gain: number;
  GL: number;
  HL: number;
}

/** L1 soft threshold, as XGBoost's ThresholdL1. */
function threshold(g: number, alpha: number): number {
  if (g > alpha) return g - alpha;
  if (g < -alpha) return g + alpha;
  return 0;
}

/** The best split of a node from its histogram: every bin boundary, missing values sent each way. */
function bestSplit(
  hist: Float64Array,
  data: BinnedData,
  features: Int32Array,
  G: number,
  H: number,
  p: ResolvedParams,
): Split | null {
  const { reg_lambda: lambda, reg_alpha: alpha, min_child_weight: mcw } = p;
  const tg = threshold(G, alpha);
  const parentGain = (tg * tg) / (H + lambda);
  let best: Split | null = null;
  let bestGain = Math.max(RT_EPS, p.gamma);
  for (let k = 0; k < features.length; k++) {
    const f = features[k]!;
    const off = data.slotStart[f]! << 1;
    const nb = data.count[f]!;
    const Gm = hist[off + 2 * nb]!;
    const Hm = hist[off + 2 * nb + 1]!;
    const hasMissing = Hm > 0;
    let GL = 0;
    let HL = 0;
    for (let b = 0; b < nb - 1; b++) {
      GL += hist[off + 2 * b]!;
      HL += hist[off + 2 * b + 1]!;
      // Missing values right (XGBoost's forward enumeration, default_left = 0) ...
      let gl = GL;
      let hl = HL;
      for (let dir = 0; dir < (hasMissing ? 2 : 1); dir++) {
        if (dir === 1) {
          // ... then left (its backward enumeration), when the node has missing values.
          gl = GL + Gm;
          hl = HL + Hm;
        }
        const gr = G - gl;
        const hr = H - hl;
        if (hl < mcw || hr < mcw || hl <= 0 || hr <= 0) continue;
        const a = threshold(gl, alpha);
        const c = threshold(gr, alpha);
        const gain = (a * a) / (hl + lambda) + (c * c) / (hr + lambda) - parentGain;
        if (gain > bestGain) {
          bestGain = gain;
          best = { feature: f, bin: b, defaultLeft: dir === 1, gain, GL: gl, HL: hl };
        }
      }
    }
  }
  return best;
}

/** Nodes of a growing tree in XGBoost's layout, plus each node's row range and gradient sums. */
class NodeList {
  readonly left: number[] = [];
  readonly right: number[] = [];
  readonly parent: number[] = [];
  readonly feature: number[] = [];
  readonly bin: number[] = [];
  readonly cond: number[] = [];
  readonly defaultLeft: number[] = [];
  readonly weight: number[] = [];
  readonly loss: number[] = [];
  readonly G: number[] = [];
  readonly H: number[] = [];
  readonly start: number[] = [];
  readonly end: number[] = [];

  get size(): number {
    return this.left.length;
  }

  add(parent: number, start: number, end: number, G: number, H: number, p: ResolvedParams): number {
    const id = this.left.length;
    this.left.push(-1);
    this.right.push(-1);
    this.parent.push(parent < 0 ? 2147483647 : parent);
    this.feature.push(0);
    this.bin.push(-1);
    this.cond.push(0);
    this.defaultLeft.push(0);
    this.weight.push(Math.fround(-threshold(G, p.reg_alpha) / (H + p.reg_lambda)));
    this.loss.push(0);
    this.G.push(G);
    this.H.push(H);
    this.start.push(start);
    this.end.push(end);
    return id;
  }

  split(id: number, l: number, r: number, s: Split, cond: number): void {
    this.left[id] = l;
    this.right[id] = r;
    this.feature[id] = s.feature;
    this.bin[id] = s.bin;
    this.cond[id] = cond;
    this.defaultLeft[id] = s.defaultLeft ? 1 : 0;
    this.loss[id] = s.gain;
  }

  makeLeaf(id: number, eta: number): void {
    this.cond[id] = Math.fround(this.weight[id]! * eta);
  }

  toTree(group: number): Tree {
    return {
      left: Int32Array.from(this.left),
      right: Int32Array.from(this.right),
      parent: Int32Array.from(this.parent),
      feature: Int32Array.from(this.feature),
      cond: Float32Array.from(this.cond),
      defaultLeft: Uint8Array.from(this.defaultLeft),
      baseWeight: Float32Array.from(this.weight),
      lossChange: Float32Array.from(this.loss),
      sumHessian: Float32Array.from(this.H),
      group,
    };
  }
}
