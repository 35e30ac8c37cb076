import { invalidParam } from '../../core/errors.js';
import type { UbjObject, UbjValue } from './ubjson.js';

/**
 * XGBoost's legacy ("deprecated") binary model format, what `Booster.save_model` writes with
 * XGBoost < 2 for any file name but `*.json`/`*.ubj` (MLflow's `model.xgb` with XGBoost 1.x).
 * Decoded into the document shape of XGBoost's JSON model, so `parseXgbModel` checks and scores it
 * exactly as it does JSON and UBJ. Everything is little-endian; the layout (XGBoost 1.x):
 *
 * - optional magic `binf`;
 * - LearnerModelParamLegacy, 136 bytes: f32 base_score, u32 num_feature, i32 num_class,
 *   i32 contain_extra_attrs, i32 contain_eval_metrics, u32 major_version, u32 minor_version,
 *   u32 num_target, i32 boost_from_average, 25 reserved i32 (all zero before 1.0, so a
 *   version of 0 marks a pre-1.0 file);
 * - the objective name and the booster name, each a u64 length and its bytes;
 * - gbtree (and dart): GBTreeModelParam, 160 bytes: i32 num_trees, i32 num_parallel_tree (the
 *   deprecated num_roots before 1.7, always 1), i32 num_feature, i32 pad, i64 num_pbuffer,
 *   i32 num_output_group, i32 size_leaf_vector, 32 reserved i32; then each tree; then, when
 *   there are trees, num_trees i32 tree_info (each tree's output group); dart follows with its
 *   weight_drop as a u64 count and that many f32;
 * - a tree: TreeParam, 148 bytes (i32 num_roots, num_nodes, num_deleted, max_depth,
 *   num_feature, size_leaf_vector, 31 reserved i32); num_nodes nodes of 20 bytes (i32 parent,
 *   i32 left child (-1 at a leaf), i32 right child, u32 split index whose top bit is
 *   default-left, f32 split condition or leaf value); num_nodes stats of 16 bytes (unused here);
 * - when contain_extra_attrs: the attributes, a u64 count of (key, value) strings. XGBoost
 *   keeps the first of duplicate keys and takes `objective` (its JSON config), `metrics` and
 *   `count_poisson_max_delta_step` out of them.
 *
 * Before 1.0 base_score was stored as a margin: XGBoost turns it back into a prediction with the
 * objective's transform (not for `multi:` objectives), which is done here too. Every read is
 * bounds-checked and every count is capped by the bytes left, so a truncated or corrupt file
 * fails with INVALID_PARAMETER_VALUE rather than allocating or looping without end.
 */
export function decodeLegacyBinary(bytes: Uint8Array): UbjObject {
  const r = new Reader(bytes);
  if (hasMagic(bytes)) r.skip(4);
  const base = r.f32('base_score');
  const numFeature = r.u32('num_feature');
  const numClass = r.i32('num_class');
  const extraAttrs = r.i32('contain_extra_attrs');
  r.i32('contain_eval_metrics'); // metrics are not stored in the binary model itself
  const major = r.u32('major_version');
  const minor = r.u32('minor_version');
  const numTarget = r.u32('num_target');
  r.skip(4 + 25 * 4, 'the learner parameters'); // boost_from_average, reserved
  if (numClass < 0) throw malformed(`num_class=${numClass}`);
  const objective = r.str('the objective name');
  const booster = r.str('the booster name');

  const learner: UbjObject = {
    learner_model_param: {
      base_score: baseScore(base, major, objective),
      num_feature: String(numFeature),
      num_class: String(numClass),
      num_target: String(Math.max(numTarget, 1)), // 0 before 1.7: one target
    },
    objective: { name: objective },
    feature_names: [], // not in the binary format
  };
  if (booster !== 'gbtree' && booster !== 'dart') {
    // Leaves the booster's body unread: parseXgbModel names the booster it does not support.
    learner['gradient_booster'] = { name: booster };
    return document(learner, major, minor);
  }
  const model = readTrees(r);
  learner['gradient_booster'] =
    booster === 'dart'
      ? { name: 'dart', gbtree: { name: 'gbtree', model }, weight_drop: readWeights(r, model) }
      : { name: 'gbtree', model };
  learner['attributes'] = extraAttrs !== 0 ? readAttributes(r) : {};
  return document(learner, major, minor);
}

/** Whether the bytes start with the `binf` magic XGBoost 1.x writes before the binary model. */
export function hasMagic(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 && bytes[0] === 0x62 && bytes[1] === 0x69 && bytes[2] === 0x6e && bytes[3] === 0x66
  );
}

/**
 * Whether bytes without the magic (which XGBoost's loader treats as optional) look like the binary format: a
 * learner header followed by an objective name of letters, digits and `:_-`. A cheap guard so
 * that other files keep their "not a model" message instead of a parse error deep inside.
 */
export function looksLegacyWithoutMagic(bytes: Uint8Array): boolean {
  const at = LEARNER_PARAM_SIZE;
  if (bytes.length < at + 8) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(at, true);
  if (view.getUint32(at + 4, true) !== 0 || length === 0 || length > 64) return false;
  const name = bytes.subarray(at + 8, at + 8 + length);
  return name.length === length && name.every((b) => /[A-Za-z0-9:_-]/.test(String.fromCharCode(b)));
}

const LEARNER_PARAM_SIZE = 136;
const GBTREE_PARAM_SIZE = 160;
const TREE_PARAM_SIZE = 148;
const NODE_SIZE = 20;
const STAT_SIZE = 16;
const DELETED = 0xffffffff;

function document(learner: UbjObject, major: number, minor: number): UbjObject {
  // The header keeps major.minor only (0.0 before 1.0, where it was reserved space).
  return { version: major > 0 ? [major, minor] : null, learner };
}

/**
 * base_score as the JSON model stores it, on the output scale. XGBoost >= 1.0 writes it so; before
 * it held the margin, which XGBoost's loader maps back through the objective's transform (in
 * float32) except for `multi:` objectives.
 */
function baseScore(stored: number, major: number, objective: string): string {
  if (!Number.isFinite(stored)) throw malformed(`base_score ${stored}`);
  if (major >= 1 || objective.startsWith('multi:')) return String(stored);
  const f = Math.fround;
  switch (objective) {
    case 'binary:logistic':
    case 'reg:logistic':
      // XGBoost 1.x's common::Sigmoid: 1 / (exp(-x) + 1 + 1e-16) in float.
      return String(f(1 / f(f(f(Math.exp(-stored)) + 1) + f(1e-16))));
    case 'count:poisson':
    case 'reg:gamma':
    case 'reg:tweedie':
    case 'survival:cox':
      return String(f(Math.exp(stored)));
    case 'binary:hinge':
      return stored > 0 ? '1' : '0';
    default:
      return String(stored);
  }
}

function readTrees(r: Reader): UbjObject {
  const numTrees = r.i32('num_trees');
  const parallel = r.i32('num_parallel_tree');
  r.skip(GBTREE_PARAM_SIZE - 8, 'the gbtree parameters');
  // A tree takes at least its parameters, one node and its stats.
  r.count(numTrees, TREE_PARAM_SIZE + NODE_SIZE + STAT_SIZE, 'num_trees');
  if (parallel < 0) throw malformed(`num_parallel_tree=${parallel}`);
  const trees: UbjValue[] = [];
  for (let i = 0; i < numTrees; i++) trees.push(readTree(r, i));
  const treeInfo = new Int32Array(numTrees);
  if (numTrees > 0) {
    r.need(4 * numTrees, 'tree_info');
    for (let i = 0; i < numTrees; i++) treeInfo[i] = r.i32('tree_info');
  }
  return {
    gbtree_model_param: { num_trees: String(numTrees), num_parallel_tree: String(Math.max(parallel, 1)) },
    trees,
    tree_info: treeInfo,
  };
}

function readTree(r: Reader, t: number): UbjObject {
  const what = `tree ${t}`;
  r.i32(what); // num_roots
  const numNodes = r.i32(what);
  r.skip(12, what); // num_deleted, max_depth, num_feature
  const sizeLeafVector = r.i32(what);
  r.skip(TREE_PARAM_SIZE - 24, what);
  if (numNodes === 0) throw malformed(`${what} has no nodes`);
  r.count(numNodes, NODE_SIZE + STAT_SIZE, `${what}'s num_nodes`);
  r.need(numNodes * (NODE_SIZE + STAT_SIZE), `${what}'s nodes`);
  const left = new Int32Array(numNodes);
  const right = new Int32Array(numNodes);
  const feature = new Int32Array(numNodes);
  const cond = new Float32Array(numNodes);
  const defaultLeft = new Uint8Array(numNodes);
  for (let n = 0; n < numNodes; n++) {
    r.i32(what); // parent (top bit: is a left child)
    left[n] = r.i32(what);
    right[n] = r.i32(what);
    const sindex = r.u32(what);
    cond[n] = r.f32(what);
    // A deleted node (split index all ones) is never reached from the root; were it reached, its
    // feature 2^31 - 1 would be refused as out of range.
    feature[n] = sindex === DELETED ? 0x7fffffff : sindex & 0x7fffffff;
    defaultLeft[n] = sindex >>> 31;
  }
  r.skip(numNodes * STAT_SIZE, `${what}'s stats`); // loss_chg, sum_hess, base_weight, leaf_child_cnt
  return {
    tree_param: { num_nodes: String(numNodes), size_leaf_vector: String(sizeLeafVector) },
    left_children: left,
    right_children: right,
    split_indices: feature,
    split_conditions: cond,
    default_left: defaultLeft,
  };
}

function readWeights(r: Reader, model: UbjObject): Float32Array {
  const numTrees = (model['tree_info'] as Int32Array).length;
  if (numTrees === 0) return new Float32Array(0);
  const n = r.u64('weight_drop');
  r.count(n, 4, 'weight_drop');
  const weights = new Float32Array(n);
  for (let i = 0; i < n; i++) weights[i] = r.f32('weight_drop');
  return weights;
}

function readAttributes(r: Reader): UbjObject {
  const n = r.u64('the attributes');
  r.count(n, 16, 'the attribute count'); // two string lengths each
  const out: UbjObject = {};
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const key = r.str('an attribute name');
    const value = r.str(`attribute '${key}'`);
    if (seen.has(key)) continue; // std::map from the pairs keeps the first
    seen.add(key);
    if (key === 'objective' || key === 'metrics' || key === 'count_poisson_max_delta_step') continue;
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function malformed(detail: string) {
  return invalidParam(`Malformed XGBoost legacy binary model: ${detail}`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Little-endian reads over the bytes, each checked against the end. */
class Reader {
  private at = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Throws unless n more bytes are left. */
  need(n: number, what: string): void {
    if (n > this.bytes.length - this.at) {
      throw malformed(`truncated (${this.bytes.length} bytes) while reading ${what} at byte ${this.at}`);
    }
  }

  /** Throws unless `n` items of at least `size` bytes each can fit in what is left. */
  count(n: number, size: number, what: string): void {
    if (!Number.isSafeInteger(n) || n < 0 || n * size > this.bytes.length - this.at) {
      throw malformed(`${what} ${n} does not fit the ${this.bytes.length - this.at} bytes left`);
    }
  }

  skip(n: number, what = 'the header'): void {
    this.need(n, what);
    this.at += n;
  }

  i32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.at, true);
    this.at += 4;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }

  f32(what: string): number {
    this.need(4, what);
    const v = this.view.getFloat32(this.at, true);
    this.at += 4;
    return v;
  }

  /** A u64 count; anything beyond 2^32 cannot fit a file this reader holds. */
  u64(what: string): number {
    const low = this.u32(what);
    const high = this.u32(what);
    if (high !== 0) throw malformed(`${what}: count ${high} * 2^32 + ${low} is out of range`);
    return low;
  }

  /** A dmlc string: u64 length, then that many UTF-8 bytes. */
  str(what: string): string {
    const n = this.u64(what);
    this.need(n, what);
    const raw = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    try {
      return utf8.decode(raw);
    } catch {
      throw malformed(`${what} is not valid UTF-8`);
    }
  }
}
