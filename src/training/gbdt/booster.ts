import { invalidParam } from '../../core/errors.js';
import { featureImportance, type ImportanceType } from './importance.js';
import { rowsOf, toMatrix } from './matrix.js';
import { objectiveFor, type TrainObjective } from './objectives.js';
import type { Features, ResolvedParams, Tree } from './types.js';
import { toXgboostJson } from './xgboost-json.js';

export interface PredictOptions {
  /** Margins (sums of trees) instead of predictions. */
  outputMargin?: boolean;
  /** Boosting rounds [begin, end) to use, as XGBoost's `iteration_range`; end 0 = all (default). */
  iterationRange?: [number, number];
}

/** What training produced; the Booster's state. */
export interface BoosterState {
  params: ResolvedParams;
  numFeature: number;
  featureNames: readonly string[] | null;
  trees: Tree[];
  /** Trees per round (num_class for multi:softprob, else 1). */
  groups: number;
  bestIteration: number | null;
  bestScore: number | null;
  /** Metric history: dataset name → metric → value per round. */
  evalsResult: Record<string, Record<string, number[]>>;
}

/** A trained tree ensemble: predicts, explains itself, and saves as XGBoost's JSON model. */
export class Booster {
  private readonly objective: TrainObjective;
  readonly baseMargin: number;

  constructor(readonly state: BoosterState) {
    this.objective = objectiveFor(state.params);
    this.baseMargin = this.objective.baseMargin(state.params.base_score);
  }

  get numFeature(): number {
    return this.state.numFeature;
  }
  get featureNames(): readonly string[] | null {
    return this.state.featureNames;
  }
  get rounds(): number {
    return this.state.trees.length / this.state.groups;
  }
  get bestIteration(): number | null {
    return this.state.bestIteration;
  }
  get bestScore(): number | null {
    return this.state.bestScore;
  }
  get evalsResult(): Record<string, Record<string, number[]>> {
    return this.state.evalsResult;
  }

  /**
   * Predictions for each row (`rows × num_class` values, row-major, for multi:softprob), summed in
   * float32 in tree order and missing values (NaN) sent each split's default way, as XGBoost does.
   */
  predict(x: Features, options: PredictOptions = {}): Float32Array {
    const { groups, trees } = this.state;
    const cols = this.state.numFeature;
    const rows = rowsOf(x, cols);
    const data = toMatrix(x, rows, undefined, this.state.featureNames).data;
    if (data.length !== rows * cols)
      throw invalidParam(`X has ${data.length / rows} features, the model ${cols}`);
    const [begin, end] = options.iterationRange ?? [0, 0];
    const stop = end === 0 ? this.rounds : end;
    if (begin < 0 || begin > stop || stop > this.rounds) {
      throw invalidParam(`Invalid iteration_range [${begin}, ${end}] for ${this.rounds} rounds`);
    }
    const out = new Float32Array(rows * groups).fill(this.baseMargin);
    for (let t = begin * groups; t < stop * groups; t++) addTree(trees[t]!, data, cols, rows, out, groups);
    if (!options.outputMargin) this.objective.transform(out);
    return out;
  }

  /** Feature importance keyed by feature name (`f0`, `f1`, … when unnamed), as XGBoost's get_score. */
  importance(type: ImportanceType = 'weight'): Record<string, number> {
    return featureImportance(this.state.trees, this.state.featureNames, type);
  }

  /** The model as XGBoost 1.7's JSON (`Booster.load_model` reads it). */
  toJSON(): string {
    return toXgboostJson(this.state);
  }
}

/** Adds one tree's leaf for each row of row-major `x` to `out[row * stride + tree.group]`. */
export function addTree(
  tree: Tree,
  x: Float32Array,
  cols: number,
  rows: number,
  out: Float32Array,
  stride: number,
): void {
  const { left, right, feature, cond, defaultLeft } = tree;
  for (let r = 0; r < rows; r++) {
    const at = r * cols;
    let n = 0;
    while (left[n] !== -1) {
      const v = x[at + feature[n]!]!;
      n = v < cond[n]! || (Number.isNaN(v) && defaultLeft[n] === 1) ? left[n]! : right[n]!;
    }
    const o = r * stride + tree.group;
    out[o] = out[o]! + cond[n]!;
  }
}
