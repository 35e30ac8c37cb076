import type { BoosterState } from './booster.js';
import type { Tree } from './types.js';

/** The XGBoost version the JSON claims: its schema is 1.7's (`doc/model.schema`). */
const VERSION = [1, 7, 4];

/**
 * The model as XGBoost 1.7's JSON model document (what `Booster.save_model('m.json')` writes,
 * keys in its order): numbers as the shortest decimals that read back as the same float32, so
 * the same model gives byte-identical text.
 */
export function toXgboostJson(s: BoosterState): string {
  const p = s.params;
  const numClass = p.objective === 'multi:softprob' ? p.num_class : 0;
  const attributes: Record<string, string> = {};
  if (s.bestIteration !== null) {
    attributes['best_iteration'] = String(s.bestIteration);
    attributes['best_ntree_limit'] = String(s.bestIteration + 1);
    if (s.bestScore !== null) attributes['best_score'] = String(s.bestScore);
  }
  const objective =
    p.objective === 'multi:softprob'
      ? { name: p.objective, softmax_multiclass_param: { num_class: String(numClass) } }
      : { name: p.objective, reg_loss_param: { scale_pos_weight: String(p.scale_pos_weight) } };
  const trees = s.trees.map((t, i) => treeJson(t, i, s.numFeature)).join(',');
  return (
    '{"learner":{' +
    `"attributes":${JSON.stringify(attributes)},` +
    `"feature_names":${JSON.stringify(s.featureNames ?? [])},` +
    '"feature_types":[],' +
    '"gradient_booster":{"model":{' +
    `"gbtree_model_param":{"num_parallel_tree":"1","num_trees":"${s.trees.length}","size_leaf_vector":"0"},` +
    `"tree_info":[${s.trees.map((t) => t.group).join(',')}],` +
    `"trees":[${trees}]},"name":"gbtree"},` +
    `"learner_model_param":{"base_score":"${scientific(p.base_score)}","boost_from_average":"1",` +
    `"num_class":"${numClass}","num_feature":"${s.numFeature}","num_target":"1"},` +
    `"objective":${JSON.stringify(objective)}},` +
    `"version":[${VERSION.join(',')}]}`
  );
}

function treeJson(t: Tree, id: number, numFeature: number): string {
  const n = t.left.length;
  const splitType = new Array<number>(n).fill(0);
  return (
    `{"base_weights":${floats(t.baseWeight)},` +
    '"categories":[],"categories_nodes":[],"categories_segments":[],"categories_sizes":[],' +
    `"default_left":[${t.defaultLeft.join(',')}],` +
    `"id":${id},` +
    `"left_children":[${t.left.join(',')}],` +
    `"loss_changes":${floats(t.lossChange)},` +
    `"parents":[${t.parent.join(',')}],` +
    `"right_children":[${t.right.join(',')}],` +
    `"split_conditions":${floats(t.cond)},` +
    `"split_indices":[${t.feature.join(',')}],` +
    `"split_type":[${splitType.join(',')}],` +
    `"sum_hessian":${floats(t.sumHessian)},` +
    `"tree_param":{"num_deleted":"0","num_feature":"${numFeature}","num_nodes":"${n}","size_leaf_vector":"0"}}`
  );
}

function floats(a: Float32Array): string {
  let out = '[';
  for (let i = 0; i < a.length; i++) out += (i ? ',' : '') + shortestFloat32(a[i]!);
  return `${out}]`;
}

/**
 * The shortest decimal that reads back (rounded to float32) as v, in XGBoost's notation (`1.25E-1`,
 * `0E0`): its JSON reader takes a number without a fraction or exponent for an integer, which it
 * refuses where it expects a float.
 */
export function shortestFloat32(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  let digits = 1;
  while (digits < 9 && Math.fround(Number(v.toPrecision(digits))) !== v) digits++;
  return Number(v.toPrecision(digits)).toExponential().toUpperCase().replace('E+', 'E');
}

/** base_score as XGBoost writes it: `5E-1`. */
function scientific(v: number): string {
  return shortestFloat32(Math.fround(v));
}
