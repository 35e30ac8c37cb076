import { invalidParam } from '../../core/errors.js';
import type { GbdtParams, MetricName, ObjectiveName, ResolvedParams } from './types.js';

const OBJECTIVES: readonly ObjectiveName[] = ['binary:logistic', 'reg:squarederror', 'multi:softprob'];
const METRICS: readonly MetricName[] = ['logloss', 'error', 'auc', 'rmse', 'mae', 'mlogloss', 'merror'];
const DEFAULT_METRIC: Record<ObjectiveName, MetricName> = {
  'binary:logistic': 'logloss',
  'reg:squarederror': 'rmse',
  'multi:softprob': 'mlogloss',
};

/**
 * Defaults (XGBoost 1.7's), aliases folded, values checked. `labelMax` (the largest label) gives
 * num_class for multi:softprob when not set.
 */
export function resolveParams(p: GbdtParams, labelMax: number): ResolvedParams {
  const objective = p.objective ?? 'binary:logistic';
  if (!OBJECTIVES.includes(objective)) {
    throw invalidParam(`objective must be one of ${OBJECTIVES.join(', ')}, got '${String(objective)}'`);
  }
  const metrics = p.eval_metric === undefined ? [DEFAULT_METRIC[objective]] : [p.eval_metric].flat();
  for (const m of metrics) {
    if (!METRICS.includes(m))
      throw invalidParam(`eval_metric must be one of ${METRICS.join(', ')}, got '${m}'`);
  }
  const r: ResolvedParams = {
    objective,
    num_class: objective === 'multi:softprob' ? (p.num_class ?? labelMax + 1) : 0,
    n_estimators: p.n_estimators ?? p.num_boost_round ?? 100,
    eta: p.eta ?? p.learning_rate ?? 0.3,
    max_depth: p.max_depth ?? 6,
    min_child_weight: p.min_child_weight ?? 1,
    gamma: p.gamma ?? p.min_split_loss ?? 0,
    reg_lambda: p.reg_lambda ?? p.lambda ?? 1,
    reg_alpha: p.reg_alpha ?? p.alpha ?? 0,
    subsample: p.subsample ?? 1,
    colsample_bytree: p.colsample_bytree ?? 1,
    scale_pos_weight: p.scale_pos_weight ?? 1,
    max_bin: p.max_bin ?? 256,
    base_score: p.base_score ?? 0.5,
    eval_metric: metrics,
    seed: p.seed ?? p.random_state ?? 0,
  };
  check(Number.isInteger(r.n_estimators) && r.n_estimators >= 0, 'n_estimators', r.n_estimators);
  check(Number.isInteger(r.max_depth) && r.max_depth >= 0 && r.max_depth <= 30, 'max_depth', r.max_depth);
  check(Number.isInteger(r.max_bin) && r.max_bin >= 2 && r.max_bin <= 65535, 'max_bin', r.max_bin);
  check(r.eta > 0, 'eta', r.eta);
  check(r.min_child_weight >= 0, 'min_child_weight', r.min_child_weight);
  check(r.gamma >= 0, 'gamma', r.gamma);
  check(r.reg_lambda >= 0, 'reg_lambda', r.reg_lambda);
  check(r.reg_alpha >= 0, 'reg_alpha', r.reg_alpha);
  check(r.subsample > 0 && r.subsample <= 1, 'subsample', r.subsample);
  check(r.colsample_bytree > 0 && r.colsample_bytree <= 1, 'colsample_bytree', r.colsample_bytree);
  check(r.scale_pos_weight > 0, 'scale_pos_weight', r.scale_pos_weight);
  check(Number.isInteger(r.seed), 'seed', r.seed);
  if (objective === 'multi:softprob') {
    check(Number.isInteger(r.num_class) && r.num_class >= 2, 'num_class', r.num_class);
  }
  return r;
}

function check(ok: boolean, name: string, value: number): void {
  if (!ok) throw invalidParam(`Invalid ${name}: ${value}`);
}
