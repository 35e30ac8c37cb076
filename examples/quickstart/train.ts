import { seededRandom } from 'cairn';

/** A tiny seeded fraud-like dataset and a logistic regression trained by gradient descent. */

export interface Dataset {
  featureNames: string[];
  /** Row-major features, rows × features. */
  x: Float64Array;
  labels: Uint8Array;
}

export function makeTransactions(rows: number, seed: number): Dataset {
  const featureNames = ['amount_z', 'hour_sin', 'merchant_risk', 'account_age_z'];
  const r = seededRandom(seed);
  const x = new Float64Array(rows * featureNames.length);
  const labels = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const f = [r() * 4 - 2, Math.sin(r() * Math.PI * 2), r(), r() * 4 - 2];
    x.set(f, i * f.length);
    const logit = 1.8 * f[0]! + 0.6 * f[1]! + 2.5 * f[2]! - 1.2 * f[3]! - 3;
    labels[i] = r() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
  }
  return { featureNames, x, labels };
}

export interface EpochMetrics {
  loss: number;
  auc: number;
}

export function trainLogisticRegression(
  data: Dataset,
  params: { learning_rate: number; epochs: number; l2: number },
  seed: number,
  onEpoch: (epoch: number, m: EpochMetrics) => void,
): { weights: Float64Array; bias: number; auc: number } {
  const d = data.featureNames.length;
  const n = data.labels.length;
  const r = seededRandom(seed);
  const w = Float64Array.from({ length: d }, () => (r() - 0.5) * 0.01);
  let b = 0;
  const p = new Float64Array(n);
  let auc = 0.5;
  for (let epoch = 0; epoch < params.epochs; epoch++) {
    const grad = new Float64Array(d);
    let gb = 0;
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let z = b;
      for (let j = 0; j < d; j++) z += w[j]! * data.x[i * d + j]!;
      const pi = 1 / (1 + Math.exp(-z));
      p[i] = pi;
      const y = data.labels[i]!;
      loss -= y * Math.log(pi + 1e-12) + (1 - y) * Math.log(1 - pi + 1e-12);
      for (let j = 0; j < d; j++) grad[j]! += (pi - y) * data.x[i * d + j]!;
      gb += pi - y;
    }
    for (let j = 0; j < d; j++) w[j]! -= params.learning_rate * (grad[j]! / n + params.l2 * w[j]!);
    b -= (params.learning_rate * gb) / n;
    auc = rocAuc(p, data.labels);
    onEpoch(epoch, { loss: loss / n, auc });
  }
  return { weights: w, bias: b, auc };
}

/** ROC AUC by ranking (ties averaged). */
export function rocAuc(scores: Float64Array, labels: Uint8Array): number {
  const idx = Array.from(scores.keys()).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let pos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++)
      if (labels[idx[k]!]) {
        rankSumPos += avgRank;
        pos++;
      }
    i = j + 1;
  }
  const neg = labels.length - pos;
  return pos === 0 || neg === 0 ? 0.5 : (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}
