import { invalidParam } from '../../core/errors.js';
import type { Tree } from './types.js';

export type ImportanceType = 'weight' | 'gain' | 'cover' | 'total_gain' | 'total_cover';

const TYPES: readonly ImportanceType[] = ['weight', 'gain', 'cover', 'total_gain', 'total_cover'];

/**
 * XGBoost's `get_score`: per feature used in a split, the number of splits (`weight`), the mean
 * or total loss reduction of its splits (`gain`, `total_gain`), or the mean or total hessian sum
 * of the rows reaching them (`cover`, `total_cover`). Features never split on are left out.
 */
export function featureImportance(
  trees: readonly Tree[],
  names: readonly string[] | null,
  type: ImportanceType,
): Record<string, number> {
  if (!TYPES.includes(type)) throw invalidParam(`importance type must be one of ${TYPES.join(', ')}`);
  const count = new Map<number, number>();
  const total = new Map<number, number>();
  for (const t of trees) {
    for (let n = 0; n < t.left.length; n++) {
      if (t.left[n] === -1) continue;
      const f = t.feature[n]!;
      const v = type === 'gain' || type === 'total_gain' ? t.lossChange[n]! : t.sumHessian[n]!;
      count.set(f, (count.get(f) ?? 0) + 1);
      total.set(f, (total.get(f) ?? 0) + v);
    }
  }
  const out: Record<string, number> = {};
  for (const f of [...count.keys()].sort((a, b) => a - b)) {
    const key = names ? names[f]! : `f${f}`;
    const c = count.get(f)!;
    const s = total.get(f)!;
    out[key] = type === 'weight' ? c : type.startsWith('total_') ? s : s / c;
  }
  return out;
}
