import type { Frame } from '../../core/frame.js';

export type ObjectiveName = 'binary:logistic' | 'reg:squarederror' | 'multi:softprob';
export type MetricName = 'logloss' | 'error' | 'auc' | 'rmse' | 'mae' | 'mlogloss' | 'merror';

/** Training parameters, named as XGBoost names them (its sklearn names and their aliases). */
export interface GbdtParams {
  objective?: ObjectiveName;
  /** Classes for `multi:softprob` (default: max label + 1). */
  num_class?: number;
  /** Boosting rounds (default 100). `num_boost_round` is an alias. */
  n_estimators?: number;
  num_boost_round?: number;
  /** Shrinkage (default 0.3). `learning_rate` is an alias. */
  eta?: number;
  learning_rate?: number;
  /** Default 6. */
  max_depth?: number;
  /** Least hessian sum in a child (default 1). */
  min_child_weight?: number;
  /** Least loss reduction to split (default 0). `min_split_loss` is an alias. */
  gamma?: number;
  min_split_loss?: number;
  /** L2 regularization on leaf weights (default 1). `lambda` is an alias. */
  reg_lambda?: number;
  lambda?: number;
  /** L1 regularization on leaf weights (default 0). `alpha` is an alias. */
  reg_alpha?: number;
  alpha?: number;
  /** Row fraction sampled per tree (default 1). */
  subsample?: number;
  /** Feature fraction sampled per tree (default 1). */
  colsample_bytree?: number;
  /** Weight of positive rows for binary:logistic (default 1). */
  scale_pos_weight?: number;
  /** Bins per feature (default 256). */
  max_bin?: number;
  /** Initial prediction on the output scale (default 0.5, as XGBoost 1.7). */
  base_score?: number;
  /** Metric(s) for evaluation; early stopping watches the last one. Default by objective. */
  eval_metric?: MetricName | MetricName[];
  /** Seed for row and column sampling (default 0). `random_state` is an alias. */
  seed?: number;
  random_state?: number;
}

/** Parameters with defaults applied and aliases folded. */
export interface ResolvedParams {
  objective: ObjectiveName;
  num_class: number;
  n_estimators: number;
  eta: number;
  max_depth: number;
  min_child_weight: number;
  gamma: number;
  reg_lambda: number;
  reg_alpha: number;
  subsample: number;
  colsample_bytree: number;
  scale_pos_weight: number;
  max_bin: number;
  base_score: number;
  eval_metric: MetricName[];
  seed: number;
}

/** Features: a row-major Float32Array (NaN = missing), or a Frame of numeric columns. */
export type Features = Float32Array | Frame;

export interface EvalData {
  X: Features;
  y: ArrayLike<number>;
  /** Name in metric keys (`<name>-<metric>`); default `validation` (`validation_<i>` for several). */
  name?: string;
}

/** Metric values after one boosting round, keyed `<dataset>-<metric>` (`train-logloss`, …). */
export type IterationMetrics = Record<string, number>;

export interface TrainInfo {
  params: ResolvedParams;
  numRows: number;
  numFeature: number;
  featureNames: readonly string[] | null;
}

/** Hooks into training, as XGBoost's TrainingCallback. `afterIteration` returning true stops training. */
export interface TrainCallback {
  beforeTraining?(info: TrainInfo): void;
  afterIteration?(iteration: number, metrics: IterationMetrics): boolean | undefined;
  afterTraining?(info: { bestIteration: number | null; bestScore: number | null; rounds: number }): void;
}

export interface TrainOptions {
  evalSet?: EvalData | EvalData[];
  /** Stop when the last eval set's last metric has not improved for this many rounds. */
  earlyStoppingRounds?: number;
  callbacks?: TrainCallback[];
  /** Compute metrics on the training data too (default: when there are callbacks). */
  evalTrain?: boolean;
  /** Names for Float32Array input (a Frame brings its own). */
  featureNames?: readonly string[];
}

/** One grown tree, in XGBoost's node layout (node 0 the root, children numbered as created). */
export interface Tree {
  left: Int32Array;
  right: Int32Array;
  parent: Int32Array;
  feature: Int32Array;
  /** Split condition (x < cond goes left) at an inner node; the leaf value (eta applied) at a leaf. */
  cond: Float32Array;
  defaultLeft: Uint8Array;
  baseWeight: Float32Array;
  lossChange: Float32Array;
  sumHessian: Float32Array;
  /** Output group (class) the tree adds to. */
  group: number;
}
