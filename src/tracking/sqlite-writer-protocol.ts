import type { ErrorCode } from '../core/errors.js';
import type { KeyValue, Metric, RunBatch } from './types.js';

/**
 * A log-batch as it crosses to the writer thread: metrics as columns over transferable typed
 * arrays (no per-point structured cloning), params and tags as they are.
 */
export interface PackedBatch {
  keys: string[];
  keyIndex: Uint32Array;
  values: Float64Array;
  steps: Float64Array;
  timestamps: Float64Array;
  params: KeyValue[];
  tags: KeyValue[];
}

export type WriterReply = { id: number; error?: { code: ErrorCode; message: string } };

export function packBatch(batch: RunBatch): { packed: PackedBatch; transfer: ArrayBuffer[] } {
  const n = batch.metrics.length;
  const keyIndex = new Uint32Array(n);
  const values = new Float64Array(n);
  const steps = new Float64Array(n);
  const timestamps = new Float64Array(n);
  const keys: string[] = [];
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const m = batch.metrics[i]!;
    let k = index.get(m.key);
    if (k === undefined) {
      k = keys.length;
      keys.push(m.key);
      index.set(m.key, k);
    }
    keyIndex[i] = k;
    values[i] = m.value;
    steps[i] = m.step;
    timestamps[i] = m.timestamp;
  }
  return {
    packed: { keys, keyIndex, values, steps, timestamps, params: batch.params, tags: batch.tags },
    transfer: [keyIndex.buffer, values.buffer, steps.buffer, timestamps.buffer],
  };
}

export function unpackBatch(p: PackedBatch): RunBatch {
  const n = p.values.length;
  const metrics: Metric[] = new Array(n);
  for (let i = 0; i < n; i++) {
    metrics[i] = {
      key: p.keys[p.keyIndex[i]!]!,
      value: p.values[i]!,
      timestamp: p.timestamps[i]!,
      step: p.steps[i]!,
    };
  }
  return { metrics, params: p.params, tags: p.tags };
}
