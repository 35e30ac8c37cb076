import { invalidParam } from '../../core/errors.js';
import type { MetricName } from './types.js';

const EPS = 1e-16;

/** Whether a larger value of the metric is better. */
export function maximizes(metric: MetricName): boolean {
  return metric === 'auc';
}

/**
 * A metric over predictions (`rows × groups`, row-major, after the objective's transform) and
 * labels, as XGBoost defines it (error at threshold 0.5, losses clipped at 1e-16).
 */
export function evaluate(metric: MetricName, pred: Float32Array, y: Float32Array, groups: number): number {
  const n = y.length;
  let sum = 0;
  switch (metric) {
    case 'logloss':
      for (let i = 0; i < n; i++) {
        const p = Math.min(Math.max(pred[i]!, EPS), 1 - EPS);
        sum -= y[i]! * Math.log(p) + (1 - y[i]!) * Math.log(1 - p);
      }
      return sum / n;
    case 'error':
      for (let i = 0; i < n; i++) sum += +(pred[i]! > 0.5) !== y[i]! ? 1 : 0;
      return sum / n;
    case 'auc':
      return rocAuc(pred, y);
    case 'rmse':
      for (let i = 0; i < n; i++) sum += (pred[i]! - y[i]!) ** 2;
      return Math.sqrt(sum / n);
    case 'mae':
      for (let i = 0; i < n; i++) sum += Math.abs(pred[i]! - y[i]!);
      return sum / n;
    case 'mlogloss':
      for (let i = 0; i < n; i++) sum -= Math.log(Math.max(pred[i * groups + y[i]!]!, EPS));
      return sum / n;
    case 'merror':
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let g = 1; g < groups; g++) if (pred[i * groups + g]! > pred[i * groups + best]!) best = g;
        if (best !== y[i]) sum++;
      }
      return sum / n;
    default:
      throw invalidParam(`Unknown eval_metric '${String(metric)}'`);
  }
}

/** Area under the ROC curve of scores against 0/1 labels; tied scores count half. */
export function rocAuc(score: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = y.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => score[a]! - score[b]!);
  let pos = 0;
  let rankSum = 0; // sum of positives' (1-based, tie-averaged) ranks
  for (let i = 0; i < n; ) {
    let j = i;
    let tiedPos = 0;
    while (j < n && score[order[j]!] === score[order[i]!]) {
      if (y[order[j]!] === 1) tiedPos++;
      j++;
    }
    rankSum += tiedPos * ((i + 1 + j) / 2);
    pos += tiedPos;
    i = j;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}
