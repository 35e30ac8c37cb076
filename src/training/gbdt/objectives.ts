import { invalidParam } from '../../core/errors.js';
import type { MetricName, ObjectiveName, ResolvedParams } from './types.js';

const f = Math.fround;

/**
 * A training objective: its first and second derivatives of the loss at the current margins, the
 * margin base_score starts from, and the transform from margins to predictions. Margins and
 * predictions are `rows × groups`, row-major, as XGBoost's.
 */
export interface TrainObjective {
  readonly name: ObjectiveName;
  readonly groups: number;
  readonly defaultMetric: MetricName;
  /** base_score (on the output scale, as XGBoost 1.7 stores it) to its margin, in float32. */
  baseMargin(baseScore: number): number;
  /** Writes gradient and hessian of group g for row r at `grad[g*rows + r]`. */
  gradients(margin: Float32Array, y: Float32Array, grad: Float32Array, hess: Float32Array): void;
  /** Margins to predictions, in place. */
  transform(margin: Float32Array): void;
}

export function objectiveFor(p: ResolvedParams): TrainObjective {
  switch (p.objective) {
    case 'binary:logistic':
      return logistic(p.scale_pos_weight);
    case 'reg:squarederror':
      return squaredError;
    case 'multi:softprob':
      return softprob(p.num_class);
    default:
      throw invalidParam(
        `Objective '${String(p.objective)}' is not supported; use binary:logistic, reg:squarederror or multi:softprob`,
      );
  }
}

/** XGBoost's float sigmoid: 1 / (exp(-x) + 1 + 1e-16), exp's argument capped at 88.7. */
export function sigmoid(x: number): number {
  return 1 / f(f(f(Math.exp(Math.min(-x, f(88.7)))) + 1) + f(1e-16));
}

function logistic(scalePosWeight: number): TrainObjective {
  return {
    name: 'binary:logistic',
    groups: 1,
    defaultMetric: 'logloss',
    baseMargin(p) {
      if (!(p > 0 && p < 1))
        throw invalidParam(`base_score must lie in (0, 1) for binary:logistic, got ${p}`);
      return f(-Math.log(f(f(1 / p) - 1)));
    },
    gradients(margin, y, grad, hess) {
      for (let i = 0; i < y.length; i++) {
        const p = sigmoid(margin[i]!);
        const label = y[i]!;
        const w = label === 1 ? scalePosWeight : 1;
        grad[i] = (p - label) * w;
        hess[i] = Math.max(p * (1 - p), 1e-16) * w;
      }
    },
    transform(m) {
      for (let i = 0; i < m.length; i++) m[i] = sigmoid(m[i]!);
    },
  };
}

const squaredError: TrainObjective = {
  name: 'reg:squarederror',
  groups: 1,
  defaultMetric: 'rmse',
  baseMargin: (p) => f(p),
  gradients(margin, y, grad, hess) {
    for (let i = 0; i < y.length; i++) {
      grad[i] = margin[i]! - y[i]!;
      hess[i] = 1;
    }
  },
  transform() {},
};

function softprob(k: number): TrainObjective {
  const row = new Float32Array(k);
  return {
    name: 'multi:softprob',
    groups: k,
    defaultMetric: 'mlogloss',
    baseMargin: (p) => f(p),
    gradients(margin, y, grad, hess) {
      const n = y.length;
      for (let r = 0; r < n; r++) {
        row.set(margin.subarray(r * k, r * k + k));
        softmax(row, 0, k);
        const label = y[r]!;
        for (let g = 0; g < k; g++) {
          const p = row[g]!;
          grad[g * n + r] = g === label ? p - 1 : p;
          hess[g * n + r] = Math.max(2 * p * (1 - p), 1e-16);
        }
      }
    },
    transform(m) {
      for (let o = 0; o < m.length; o += k) softmax(m, o, k);
    },
  };
}

/** XGBoost's softmax over m[o..o+k): max-shifted exponentials (float) over their sum (a double). */
function softmax(m: Float32Array, o: number, k: number): void {
  let max = m[o]!;
  for (let g = 1; g < k; g++) if (m[o + g]! > max) max = m[o + g]!;
  let sum = 0;
  for (let g = 0; g < k; g++) {
    const e = f(Math.exp(f(m[o + g]! - max)));
    m[o + g] = e;
    sum += e;
  }
  const total = f(sum);
  for (let g = 0; g < k; g++) m[o + g] = m[o + g]! / total;
}
