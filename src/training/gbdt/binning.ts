import type { Matrix } from './matrix.js';

/**
 * Features cut into bins, as XGBoost's `hist` method does before growing trees.
 *
 * Feature f has `count[f]` value bins: bin b holds values in [cut[b-1], cut[b]) (float32
 * comparisons), so a split "bins 0..b go left" is XGBoost's "x < cut[b] goes left". Its last cut
 * lies above the largest value seen; larger values at prediction time land in the last bin.
 * Missing values (NaN) get the code `count[f]`, one past the value bins.
 */
export interface BinnedData {
  readonly rows: number;
  readonly cols: number;
  /** Column-major codes: feature f's are `codes[f*rows .. (f+1)*rows)`. */
  readonly codes: Uint8Array | Uint16Array;
  /** Cut values of feature f: `cuts[cutStart[f] .. cutStart[f] + count[f])`. */
  readonly cuts: Float32Array;
  readonly cutStart: Int32Array;
  readonly count: Int32Array;
  /** Start of feature f's slots (value bins then the missing slot) in a histogram. */
  readonly slotStart: Int32Array;
  readonly totalSlots: number;
}

/**
 * Cut points from each feature's quantiles (an exact sketch: the sorted non-missing values), at
 * most `maxBin` bins a feature. So that the codes fit in a byte, max_bin 256 gives 255 value bins
 * plus the missing code; larger max_bin values use 16-bit codes.
 */
export function binFeatures(m: Matrix, maxBin: number): BinnedData {
  const { rows, cols, data } = m;
  const bins = maxBin === 256 ? 255 : maxBin;
  const allCuts: number[] = [];
  const cutStart = new Int32Array(cols);
  const count = new Int32Array(cols);
  const slotStart = new Int32Array(cols);
  // A feature has at most `bins` value bins, plus its missing code.
  const codes = bins < 256 ? new Uint8Array(rows * cols) : new Uint16Array(rows * cols);
  const sorter = new RadixSorter(rows);
  let totalSlots = 0;
  for (let f = 0; f < cols; f++) {
    const { values, order, missing } = sorter.sortColumn(data, rows, cols, f);
    const start = allCuts.length;
    const n = featureCuts(values, bins, allCuts);
    cutStart[f] = start;
    count[f] = n;
    slotStart[f] = totalSlots;
    totalSlots += n + 1;
    // Walk the values in order with a pointer into the cuts: bin = the first cut above the value.
    const base = f * rows;
    let b = 0;
    let next = allCuts[start]!;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      while (b < n - 1 && v >= next) next = allCuts[start + ++b]!;
      codes[base + order[i]!] = b;
    }
    for (let i = 0; i < missing.length; i++) codes[base + missing[i]!] = n;
  }
  const cuts = Float32Array.from(allCuts);
  return { rows, cols, codes, cuts, cutStart, count, slotStart, totalSlots };
}

/**
 * Sorts a column's non-missing values with their row numbers: an LSD radix sort (four byte passes) over float32 bit patterns mapped so unsigned order is numeric order.
 */
class RadixSorter {
  private readonly keys: Uint32Array;
  private readonly keys2: Uint32Array;
  private readonly rows: Int32Array;
  private readonly rows2: Int32Array;
  private readonly missing: Int32Array;
  private readonly floats: Float32Array;
  private readonly bits: Uint32Array;
  private readonly counts = new Int32Array(4 * 256);

  constructor(n: number) {
    this.keys = new Uint32Array(n);
    this.keys2 = new Uint32Array(n);
    this.rows = new Int32Array(n);
    this.rows2 = new Int32Array(n);
    this.missing = new Int32Array(n);
    this.floats = new Float32Array(n);
    this.bits = new Uint32Array(this.floats.buffer);
  }

  sortColumn(
    data: Float32Array,
    n: number,
    cols: number,
    f: number,
  ): { values: Float32Array; order: Int32Array; missing: Int32Array } {
    const { floats, bits, counts } = this;
    let k = 0;
    let nm = 0;
    for (let r = 0; r < n; r++) {
      const v = data[r * cols + f]!;
      if (Number.isNaN(v)) this.missing[nm++] = r;
      else {
        floats[k] = v;
        this.rows[k++] = r;
      }
    }
    counts.fill(0);
    for (let i = 0; i < k; i++) {
      const u = bits[i]!;
      const key = (u & 0x80000000 ? ~u : u | 0x80000000) >>> 0;
      this.keys[i] = key;
      counts[key & 255]!++;
      counts[256 + ((key >>> 8) & 255)]!++;
      counts[512 + ((key >>> 16) & 255)]!++;
      counts[768 + (key >>> 24)]!++;
    }
    prefixSums(counts);
    scatter(this.keys, this.keys2, this.rows, this.rows2, counts, 0, k);
    scatter(this.keys2, this.keys, this.rows2, this.rows, counts, 8, k);
    scatter(this.keys, this.keys2, this.rows, this.rows2, counts, 16, k);
    scatter(this.keys2, this.keys, this.rows2, this.rows, counts, 24, k);
    const src = this.keys;
    const srcRows = this.rows;
    for (let i = 0; i < k; i++) {
      const key = src[i]!;
      bits[i] = key & 0x80000000 ? key ^ 0x80000000 : ~key;
    }
    return {
      values: floats.subarray(0, k),
      order: srcRows.subarray(0, k),
      missing: this.missing.subarray(0, nm),
    };
  }
}

/**
 * Appends the cut values of one feature (values sorted ascending) and returns how many: every
 * distinct value past the first when there are few, else values at evenly spaced ranks; then one
 * cut above the maximum. A feature with no values gets one bin.
 */
function featureCuts(sorted: Float32Array, bins: number, out: number[]): number {
  const n = sorted.length;
  const before = out.length;
  if (n === 0) {
    out.push(Math.fround(1));
    return 1;
  }
  let distinct = 1;
  for (let i = 1; i < n && distinct <= bins; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  if (distinct <= bins) {
    for (let i = 1; i < n; i++) if (sorted[i] !== sorted[i - 1]) out.push(sorted[i]!);
  } else {
    let last = sorted[0]!;
    for (let i = 1; i < bins; i++) {
      const v = sorted[Math.floor((i * n) / bins)]!;
      if (v > last) {
        out.push(v);
        last = v;
      }
    }
  }
  const max = sorted[n - 1]!;
  out.push(Math.fround(max + (Math.abs(max) + 1e-5)));
  return out.length - before;
}

/** The bin of value v among n cuts from `start` (upper bound, clamped), or n when v is NaN. */
export function binOf(cuts: Float32Array, start: number, n: number, v: number): number {
  if (Number.isNaN(v)) return n;
  let lo = 0;
  let hi = n - 1; // the last bin takes everything at or above the second-to-last cut
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v < cuts[start + mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Each of the four 256-bucket counts to its running start offsets. */
function prefixSums(counts: Int32Array): void {
  for (let off = 0; off < counts.length; off += 256) {
    let sum = 0;
    for (let b = off; b < off + 256; b++) {
      const c = counts[b]!;
      counts[b] = sum;
      sum += c;
    }
  }
}

/** One radix pass: keys (and their rows) into their bucket's next place. */
function scatter(
  src: Uint32Array,
  dst: Uint32Array,
  srcRows: Int32Array,
  dstRows: Int32Array,
  counts: Int32Array,
  shift: number,
  k: number,
): void {
  const off = shift * 32; // this pass's 256 counts
  for (let i = 0; i < k; i++) {
    const key = src[i]!;
    const b = off + ((key >>> shift) & 255);
    const at = counts[b]!;
    counts[b] = at + 1;
    dst[at] = key;
    dstRows[at] = srcRows[i]!;
  }
}
