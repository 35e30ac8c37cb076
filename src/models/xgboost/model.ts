import { invalidParam } from '../../core/errors.js';
import { buildForest, type Forest, type TreeArrays } from './forest.js';
import { decodeModelBytes, parseLenientJson } from './format.js';
import { type Objective, objectiveOf } from './objectives.js';
import type { UbjValue } from './ubjson.js';

/** An XGBoost model, parsed from its JSON, UBJ or legacy binary form. */
export interface XgbModel {
  readonly objective: Objective;
  readonly booster: 'gbtree' | 'dart';
  readonly numFeature: number;
  /** Outputs per row: the number of classes for multi-class, else 1. */
  readonly numGroups: number;
  /** Per group, the margin every prediction starts from (base_score through the objective's link). */
  readonly baseMargin: Float32Array;
  readonly featureNames: readonly string[] | null;
  readonly forest: Forest;
  /** Tree index where each boosting round starts, plus the end (length = rounds + 1). */
  readonly roundStarts: Int32Array;
  /** `best_iteration` from the learner's attributes (0-based round), when stored. */
  readonly bestIteration: number | null;
  /** The learner's attributes (best_score, scikit_learn, …), as stored. */
  readonly attributes: Readonly<Record<string, string>>;
  /**
   * The sklearn wrapper's `missing` parameter (from the `scikit_learn` attribute), in float32:
   * XGBModel.predict treats inputs equal to it as missing. NaN when not stored.
   */
  readonly sklearnMissing: number;
  /** XGBoost's version that wrote the file, when stored. */
  readonly version: readonly number[] | null;
}

/** Features a model may have (a node packs its feature index with one more bit in an int32). */
const MAX_FEATURES = 2 ** 30 - 1;

type Obj = { [key: string]: UbjValue };
type Nums = ArrayLike<number>;

/**
 * Parses an XGBoost model file: JSON (`save_model('m.json')`), UBJ (`m.ubj`, and `.xgb` since
 * XGBoost 2), or XGBoost 1.x's legacy binary format (any other name: `.xgb`/`.bin`/`.model`),
 * which `decodeLegacyBinary` turns into the JSON document's shape, so all three share the checks
 * and the scorer. (The binary format stores no feature names, and only major.minor as version.)
 */
export function parseXgbModel(bytes: Uint8Array): XgbModel {
  return modelFromDocument(decodeModelBytes(bytes));
}

function modelFromDocument(doc: UbjValue): XgbModel {
  const learner = obj(obj(doc, 'model')['learner'], 'learner');
  const param = obj(learner['learner_model_param'], 'learner.learner_model_param');
  const numFeature = int(param['num_feature'], 'num_feature');
  if (numFeature > MAX_FEATURES) throw invalidParam(`num_feature=${numFeature} exceeds ${MAX_FEATURES}`);
  const numClass = int(param['num_class'] ?? '0', 'num_class');
  const numTarget = int(param['num_target'] ?? '1', 'num_target');
  if (numTarget > 1)
    throw invalidParam(`Multi-target XGBoost models (num_target=${numTarget}) are not supported`);
  const numGroups = Math.max(numClass, 1);

  const objective = objectiveOf(
    str(obj(learner['objective'], 'learner.objective')['name'], 'objective name'),
  );
  if (objective.multiclass !== numClass > 1) {
    throw invalidParam(`Objective '${objective.name}' does not fit num_class=${numClass}`);
  }

  const gb = obj(learner['gradient_booster'], 'learner.gradient_booster');
  const boosterName = str(gb['name'], 'gradient_booster.name');
  let weights: Float32Array | null = null;
  let treeBooster = gb;
  if (boosterName === 'dart') {
    treeBooster = obj(gb['gbtree'], 'gradient_booster.gbtree');
    weights = Float32Array.from(nums(gb['weight_drop'], 'weight_drop'));
  } else if (boosterName !== 'gbtree') {
    throw invalidParam(
      `XGBoost booster '${boosterName}' is not supported (only gbtree and dart tree models)`,
    );
  }
  const model = obj(treeBooster['model'], 'gradient_booster.model');
  const trees = arr(model['trees'], 'model.trees');
  const treeInfo = nums(model['tree_info'] ?? [], 'tree_info');
  if (treeInfo.length !== trees.length) throw invalidParam('tree_info and trees differ in length');
  if (weights && weights.length !== trees.length)
    throw invalidParam('weight_drop and trees differ in length');
  const forest = buildForest(trees.map(treeArrays), treeInfo, numFeature, numGroups, weights);

  const attributes = stringMap(learner['attributes']);
  const best = attributes['best_iteration'];
  const names = learner['feature_names'];
  const featureNames =
    Array.isArray(names) && names.length > 0 ? names.map((n) => str(n, 'feature name')) : null;
  if (featureNames && featureNames.length !== numFeature) {
    throw invalidParam(`The model names ${featureNames.length} features but has num_feature=${numFeature}`);
  }
  const version = (doc as Obj)['version'];

  return {
    objective,
    booster: boosterName,
    numFeature,
    numGroups,
    baseMargin: baseMargins(param['base_score'], objective, numGroups),
    featureNames,
    forest,
    roundStarts: roundStarts(model, trees.length, numGroups),
    bestIteration: best === undefined ? null : int(best, 'best_iteration'),
    attributes,
    sklearnMissing: sklearnMissing(attributes['scikit_learn']),
    version: version !== undefined && version !== null ? Array.from(nums(version, 'version')) : null,
  };
}

function treeArrays(t: UbjValue, i: number): TreeArrays {
  const tree = obj(t, `trees[${i}]`);
  const size = int(
    obj(tree['tree_param'] ?? {}, 'tree_param')['size_leaf_vector'] ?? '0',
    'size_leaf_vector',
  );
  if (size > 1) throw invalidParam(`Tree ${i} has vector leaves (multi-output trees are not supported)`);
  const left = nums(tree['left_children'], 'left_children');
  const field = (key: string) => {
    const v = nums(tree[key], key);
    if (v.length !== left.length) {
      throw invalidParam(`Tree ${i}: ${key} has ${v.length} entries, expected ${left.length}`);
    }
    return v;
  };
  return {
    left,
    right: field('right_children'),
    feature: field('split_indices'),
    cond: field('split_conditions'),
    defaultLeft: field('default_left'),
    splitType: tree['split_type'] === undefined ? null : field('split_type'),
  };
}

/** Trees per round: XGBoost >= 2 stores `iteration_indptr`; before, num_parallel_tree × groups. */
function roundStarts(model: Obj, numTrees: number, numGroups: number): Int32Array {
  const indptr = model['iteration_indptr'];
  if (indptr !== undefined) {
    const out = Int32Array.from(nums(indptr, 'iteration_indptr'));
    if (out[0] !== 0 || out[out.length - 1] !== numTrees)
      throw invalidParam('iteration_indptr does not span the trees');
    return out;
  }
  const param = obj(model['gbtree_model_param'] ?? {}, 'gbtree_model_param');
  const perRound = int(param['num_parallel_tree'] ?? '1', 'num_parallel_tree') * numGroups;
  if (perRound < 1 || numTrees % perRound !== 0) {
    throw invalidParam(`${numTrees} trees do not split into rounds of ${perRound}`);
  }
  const out = new Int32Array(numTrees / perRound + 1);
  for (let i = 0; i < out.length; i++) out[i] = i * perRound;
  return out;
}

/** base_score is stored on the output scale ('5E-1'; '[5E-1,…]' per output since XGBoost 3.1). */
function baseMargins(raw: UbjValue | undefined, objective: Objective, numGroups: number): Float32Array {
  const text = str(raw ?? '0.5', 'base_score').trim();
  const parts = text.startsWith('[') ? text.slice(1, -1).split(',') : [text];
  const values = parts.map((p) => {
    const v = Number(p);
    if (p.trim() === '' || !Number.isFinite(v)) throw invalidParam(`Invalid base_score '${text}'`);
    return Math.fround(v);
  });
  if (values.length !== 1 && values.length !== numGroups) {
    throw invalidParam(`base_score has ${values.length} values for ${numGroups} outputs`);
  }
  const out = new Float32Array(numGroups);
  for (let g = 0; g < numGroups; g++) out[g] = objective.link(values.length === 1 ? values[0]! : values[g]!);
  return out;
}

function sklearnMissing(meta: string | undefined): number {
  if (meta === undefined) return Number.NaN;
  let missing: unknown;
  try {
    missing = (parseLenientJson(meta) as { missing?: unknown } | null)?.missing;
  } catch {
    throw invalidParam("Invalid 'scikit_learn' attribute in the XGBoost model: not JSON");
  }
  return typeof missing === 'number' ? Math.fround(missing) : Number.NaN;
}

function obj(v: UbjValue | undefined, what: string): Obj {
  if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) {
    throw invalidParam(`Not an XGBoost model: '${what}' is missing or not an object`);
  }
  return v as Obj;
}

function arr(v: UbjValue | undefined, what: string): UbjValue[] {
  if (!Array.isArray(v)) throw invalidParam(`Not an XGBoost model: '${what}' is not an array`);
  return v;
}

function nums(v: UbjValue | undefined, what: string): Nums {
  if (ArrayBuffer.isView(v)) return v as Nums;
  if (Array.isArray(v) && v.every((x) => x === null || typeof x === 'number' || typeof x === 'boolean')) {
    return v.map((x) => (x === null ? Number.NaN : Number(x))); // null: a NaN in lenient JSON
  }
  throw invalidParam(`Not an XGBoost model: '${what}' is not an array of numbers`);
}

function str(v: UbjValue | undefined, what: string): string {
  if (typeof v !== 'string') throw invalidParam(`Not an XGBoost model: '${what}' is not a string`);
  return v;
}

function int(v: UbjValue | undefined, what: string): number {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    throw invalidParam(`Invalid ${what} '${String(v)}'`);
  return n;
}

function stringMap(v: UbjValue | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === undefined || v === null) return out;
  for (const [k, x] of Object.entries(obj(v, 'attributes'))) {
    if (typeof x === 'string') out[k] = x;
  }
  return out;
}
