import { Piscina } from 'piscina';
import { CairnError } from '../core/errors.js';
import type { Frame } from '../core/frame.js';
import { readManifest } from '../models/manifest.js';
import type { ModelManifest, ModelSignature } from '../models/types.js';
import type { PredictReply, PredictTask, PredictWorkerData } from './predict-worker.js';
import type { PredictOptions, ServableModel } from './types.js';
import { errorFromWire, frameFromWire, frameToWire } from './wire.js';

/** The worker module: the compiled .js in a build, the .ts source under tsx (tests, `npm run`). */
const WORKER_URL = new URL(
  `./predict-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
  import.meta.url,
);
/** How long a new pool may take to load the model in every thread. */
const WARM_TIMEOUT_MS = 60_000;

/** Worker threads run the TypeScript source only with tsx's loader; a build needs none. */
function workerExecArgv(): string[] {
  if (!WORKER_URL.pathname.endsWith('.ts')) return process.execArgv;
  const tsx = import.meta.resolve('tsx');
  return process.execArgv.some((a) => a.includes('tsx'))
    ? process.execArgv
    : [...process.execArgv, '--import', tsx];
}

export interface WorkerModelOptions {
  /** Threads, each with its own copy of the model (≥ 1). */
  workers: number;
  allowCode: boolean;
  modelVersion?: { name: string; version: string | number };
}

/**
 * A model directory served by a pool of worker threads (piscina): every thread loads the model
 * itself, and each predict call (one batch) runs on a free thread, off the event loop. Columns
 * cross as typed arrays; a batch the caller owns moves without a copy.
 */
export class WorkerModel implements ServableModel {
  readonly signature?: ModelSignature;
  /** An aborted batch's thread is terminated and replaced (the new one loads the model again). */
  readonly abortable = true;
  readonly modelVersion?: { name: string; version: string | number };

  private constructor(
    private readonly pool: Piscina<PredictTask, PredictReply>,
    readonly dir: string,
    readonly manifest: ModelManifest,
    readonly flavor: string,
    readonly workers: number,
    modelVersion: { name: string; version: string | number } | undefined,
  ) {
    if (manifest.signature) this.signature = manifest.signature;
    if (modelVersion) this.modelVersion = modelVersion;
  }

  /** Starts the threads and resolves once every one of them has loaded the model. */
  static async open(dir: string, o: WorkerModelOptions): Promise<WorkerModel> {
    if (!Number.isInteger(o.workers) || o.workers < 1)
      throw new CairnError('INVALID_PARAMETER_VALUE', `workers must be an integer >= 1, got ${o.workers}`);
    const manifest = await readManifest(dir);
    const workerData: PredictWorkerData = { dir, allowCode: o.allowCode };
    const pool = new Piscina<PredictTask, PredictReply>({
      filename: WORKER_URL.href,
      minThreads: o.workers,
      maxThreads: o.workers,
      idleTimeout: Number.POSITIVE_INFINITY,
      // Messages, not Atomics.wait, wake an idle thread: ~70 µs a round trip against ~100 µs
      // with 'sync' on the benchmark machine.
      atomics: 'disabled',
      workerData,
      execArgv: workerExecArgv(),
    });
    try {
      const barrier = new SharedArrayBuffer(4);
      const replies = await Promise.all(
        Array.from({ length: o.workers }, () =>
          pool.run({ op: 'warm', barrier, parties: o.workers, timeoutMs: WARM_TIMEOUT_MS }),
        ),
      );
      const failed = replies.find((r) => !r.ok);
      if (failed && !failed.ok) throw errorFromWire(failed.error);
      const first = replies[0]!;
      const flavor = first.ok && 'flavor' in first ? first.flavor : 'unknown';
      return new WorkerModel(pool, dir, manifest, flavor, o.workers, o.modelVersion);
    } catch (e) {
      await pool.destroy();
      throw e;
    }
  }

  /** Batches it runs at once: one per thread. */
  get concurrency(): number {
    return this.workers;
  }

  async predict(
    inputs: Frame,
    params?: Record<string, unknown>,
    options: PredictOptions = {},
  ): Promise<Frame> {
    const { wire, transferList } = frameToWire(inputs, options.owned ?? false);
    const reply = await this.pool.run(
      { op: 'predict', frame: wire, ...(params ? { params } : {}) },
      { transferList, ...(options.signal ? { signal: options.signal } : {}) },
    );
    if (!reply.ok) throw errorFromWire(reply.error);
    if (!('frame' in reply)) throw new CairnError('INTERNAL_ERROR', 'The worker sent no predictions');
    return frameFromWire(reply.frame);
  }

  /** Stops the threads (a running batch is cut short). */
  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
