/**
 * The worker thread of serving's pool: loads one model directory (named in the pool's
 * workerData) once, then scores the batches the main thread sends. Columns come in and go out
 * as typed arrays; errors go back as values, so their codes survive the boundary.
 */
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import { type CairnModel, loadModel } from '../models/model-dir.js';
import { errorToWire, frameFromWire, frameToWireCopied, type WireError, type WireFrame } from './wire.js';

export interface PredictWorkerData {
  dir: string;
  allowCode: boolean;
}

export type PredictTask =
  | { op: 'predict'; frame: WireFrame; params?: Record<string, unknown> }
  /** Loads, then holds the thread until `parties` warm tasks have loaded (one per thread). */
  | { op: 'warm'; barrier: SharedArrayBuffer; parties: number; timeoutMs: number };

export type PredictReply =
  | { ok: true; frame: WireFrame }
  | { ok: true; flavor: string }
  | { ok: false; error: WireError };

const data = workerData as PredictWorkerData;
const loading: Promise<CairnModel> = loadModel(data.dir, { allowCode: data.allowCode });
loading.catch(() => {}); // each task reports it

function waitForAll(barrier: SharedArrayBuffer, parties: number, timeoutMs: number): void {
  const count = new Int32Array(barrier);
  Atomics.add(count, 0, 1);
  Atomics.notify(count, 0);
  const end = Date.now() + timeoutMs;
  for (let seen = Atomics.load(count, 0); seen < parties; seen = Atomics.load(count, 0)) {
    const left = end - Date.now();
    if (left <= 0) return;
    Atomics.wait(count, 0, seen, left);
  }
}

export default async function predictTask(task: PredictTask): Promise<unknown> {
  let model: CairnModel;
  try {
    model = await loading;
  } catch (e) {
    return { ok: false, error: errorToWire(e) } satisfies PredictReply;
  }
  if (task.op === 'warm') {
    waitForAll(task.barrier, task.parties, task.timeoutMs);
    return { ok: true, flavor: model.flavor } satisfies PredictReply;
  }
  try {
    const out = await model.predict(frameFromWire(task.frame), task.params);
    const { wire, transferList } = frameToWireCopied(out);
    const reply: PredictReply = { ok: true, frame: wire };
    return move({ [transferableSymbol]: transferList, [valueSymbol]: reply } as never);
  } catch (e) {
    return { ok: false, error: errorToWire(e) } satisfies PredictReply;
  }
}
