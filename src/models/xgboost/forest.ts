import { invalidParam } from '../../core/errors.js';

/**
 * A tree ensemble in flat typed arrays, every tree's nodes back to back, laid out for branch-free
 * traversal: node n's children are `child[2n]` (left) and `child[2n + 1]` (right), as absolute
 * indices. A leaf is its own two children, so a walk of exactly `depth[tree]` steps ends on the
 * leaf whatever path it took; a leaf keeps its value in `value[n]`, an inner node its float32 split
 * condition.
 */
export interface Forest {
  readonly child: Int32Array;
  /** `(feature << 1) | missingRight`: the feature an inner node tests, and 1 where a missing value goes right (XGBoost's `default_left` false). 0 at a leaf. */
  readonly split: Int32Array;
  readonly value: Float32Array;
  /** Root node of each tree. */
  readonly roots: Int32Array;
  /** Steps from each tree's root to its deepest leaf. */
  readonly depth: Int32Array;
  /** Output group (class) each tree adds to. */
  readonly groups: Int32Array;
  /** DART's per-tree weights (`weight_drop`), or null for gbtree. */
  readonly weights: Float32Array | null;
}

/** One tree's arrays as XGBoost stores them (leaf: left child -1, value in split_conditions). */
export interface TreeArrays {
  readonly left: ArrayLike<number>;
  readonly right: ArrayLike<number>;
  readonly feature: ArrayLike<number>;
  readonly cond: ArrayLike<number>;
  readonly defaultLeft: ArrayLike<number>;
  /** 0 for a numerical split; other values (categorical) are refused. */
  readonly splitType: ArrayLike<number> | null;
}

/**
 * Checks each tree (children and features in range, every node reached once from the root, so no
 * cycle or shared node; numerical splits only) and packs the trees into one Forest.
 */
export function buildForest(
  trees: readonly TreeArrays[],
  groups: ArrayLike<number>,
  numFeature: number,
  numGroups: number,
  weights: Float32Array | null,
): Forest {
  const total = trees.reduce((n, t) => n + t.left.length, 0);
  const forest = {
    child: new Int32Array(2 * total),
    split: new Int32Array(total),
    value: new Float32Array(total),
    roots: new Int32Array(trees.length),
    depth: new Int32Array(trees.length),
    groups: new Int32Array(trees.length),
    weights,
  };
  let base = 0;
  trees.forEach((t, i) => {
    const group = groups[i]!;
    if (!validIndex(group, numGroups)) throw invalidParam(`Tree ${i}: bad output group ${group}`);
    const n = t.left.length;
    if (n === 0) throw invalidParam(`Tree ${i} has no nodes`);
    forest.roots[i] = base;
    forest.groups[i] = group;
    const seen = new Uint8Array(n);
    const stack: number[] = [0, 0]; // node, depth pairs
    let deepest = 0;
    while (stack.length > 0) {
      const d = stack.pop()!;
      const k = stack.pop()!;
      if (seen[k]) throw invalidParam(`Tree ${i}: node ${k} is reached twice`);
      seen[k] = 1;
      const at = base + k;
      forest.value[at] = t.cond[k]!;
      const l = t.left[k]!;
      if (l === -1) {
        forest.child[2 * at] = at;
        forest.child[2 * at + 1] = at;
        if (d > deepest) deepest = d;
        continue;
      }
      const r = t.right[k]!;
      const f = t.feature[k]!;
      if (!validIndex(l, n) || !validIndex(r, n))
        throw invalidParam(`Tree ${i}: node ${k} has a child out of range`);
      if (!validIndex(f, numFeature))
        throw invalidParam(`Tree ${i}: node ${k} splits on feature ${f} of ${numFeature}`);
      if (t.splitType && t.splitType[k] !== 0) {
        throw invalidParam(`Tree ${i} has categorical splits, which Cairn's xgboost scorer does not support`);
      }
      forest.child[2 * at] = base + l;
      forest.child[2 * at + 1] = base + r;
      forest.split[at] = (f << 1) | (t.defaultLeft[k] ? 0 : 1);
      stack.push(r, d + 1, l, d + 1);
    }
    forest.depth[i] = deepest;
    base += n;
  });
  return forest;
}

function validIndex(v: number, n: number): boolean {
  return Number.isInteger(v) && v >= 0 && v < n;
}
