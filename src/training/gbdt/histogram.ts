/**
 * Gradient histograms: for one node, per feature slot (value bins, then the missing slot), the sums
 * of gradients and hessians of the node's rows, interleaved: `hist[2s]` gradient, `hist[2s+1]`
 * hessian. The hot loops of training; typed arrays only, nothing allocated per row.
 */

/**
 * Adds the rows `rows[start..end)` of the features in `features` to `hist` (which must be zeroed).
 * `g` and `h` are scratch buffers of at least end - start values: the node's gradients are gathered
 * there once, so each feature's pass reads them in order.
 */
export function buildHistogram(
  hist: Float64Array,
  codes: Uint8Array | Uint16Array,
  numRows: number,
  slotStart: Int32Array,
  features: Int32Array,
  grad: Float32Array,
  hess: Float32Array,
  rows: Int32Array,
  start: number,
  end: number,
  g: Float64Array,
  h: Float64Array,
): void {
  const m = end - start;
  for (let i = 0; i < m; i++) {
    const r = rows[start + i]!;
    g[i] = grad[r]!;
    h[i] = hess[r]!;
  }
  let k = 0;
  // Four features a pass: each row's gradient pair and index are read once for four updates.
  for (; k + 3 < features.length; k += 4) {
    const f0 = features[k]!;
    const f1 = features[k + 1]!;
    const f2 = features[k + 2]!;
    const f3 = features[k + 3]!;
    const b0 = f0 * numRows;
    const b1 = f1 * numRows;
    const b2 = f2 * numRows;
    const b3 = f3 * numRows;
    const o0 = slotStart[f0]! << 1;
    const o1 = slotStart[f1]! << 1;
    const o2 = slotStart[f2]! << 1;
    const o3 = slotStart[f3]! << 1;
    for (let i = 0; i < m; i++) {
      const r = rows[start + i]!;
      const gi = g[i]!;
      const hi = h[i]!;
      const s0 = o0 + (codes[b0 + r]! << 1);
      hist[s0] = hist[s0]! + gi;
      hist[s0 + 1] = hist[s0 + 1]! + hi;
      const s1 = o1 + (codes[b1 + r]! << 1);
      hist[s1] = hist[s1]! + gi;
      hist[s1 + 1] = hist[s1 + 1]! + hi;
      const s2 = o2 + (codes[b2 + r]! << 1);
      hist[s2] = hist[s2]! + gi;
      hist[s2 + 1] = hist[s2 + 1]! + hi;
      const s3 = o3 + (codes[b3 + r]! << 1);
      hist[s3] = hist[s3]! + gi;
      hist[s3 + 1] = hist[s3 + 1]! + hi;
    }
  }
  for (; k < features.length; k++) {
    const f = features[k]!;
    const base = f * numRows;
    const off = slotStart[f]! << 1;
    for (let i = 0; i < m; i++) {
      const s = off + (codes[base + rows[start + i]!]! << 1);
      hist[s] = hist[s]! + g[i]!;
      hist[s + 1] = hist[s + 1]! + h[i]!;
    }
  }
}

/** `parent -= child` over the slots of `features`: the parent's histogram becomes the sibling's. */
export function subtractHistogram(
  parent: Float64Array,
  child: Float64Array,
  slotStart: Int32Array,
  count: Int32Array,
  features: Int32Array,
): void {
  for (let k = 0; k < features.length; k++) {
    const f = features[k]!;
    const from = slotStart[f]! << 1;
    const to = from + ((count[f]! + 1) << 1);
    for (let s = from; s < to; s++) parent[s] = parent[s]! - child[s]!;
  }
}

/** Zeroes the slots of `features`. */
export function clearHistogram(
  hist: Float64Array,
  slotStart: Int32Array,
  count: Int32Array,
  features: Int32Array,
): void {
  for (let k = 0; k < features.length; k++) {
    const f = features[k]!;
    const from = slotStart[f]! << 1;
    hist.fill(0, from, from + ((count[f]! + 1) << 1));
  }
}
