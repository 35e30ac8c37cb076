import type { Frame } from '../core/frame.js';
import { concatFrames, schemaKey, sliceFrame } from './frames.js';
import type { Deadline } from './queue.js';

type Predict = (inputs: Frame, params?: Record<string, unknown>) => Promise<Frame>;

export interface BatcherOptions {
  /** Most rows in one predict call. */
  maxBatchSize: number;
  /** Longest queued rows wait while a batch is running before another batch is started anyway. */
  maxLatencyMs: number;
  /** Batches run at once before rows start waiting for one to finish (default 1). */
  maxConcurrentBatches?: number;
  /** Called with the rows of each predict call (for the batch-size histogram). */
  onBatch?: (rows: number) => void;
}

interface Part {
  frame: Frame;
  /** Parts merge only with parts of the same key (same columns and types, same params). */
  key: string;
  params: Record<string, unknown> | undefined;
  deadline: Deadline | undefined;
  enqueuedAt: number;
  resolve(out: Frame): void;
  reject(e: unknown): void;
}

/**
 * Adaptive micro-batching for one model. Rows of concurrent requests are merged into one predict
 * call of at most `maxBatchSize` rows; a bigger request is split into parts.
 *
 * When to dispatch: a predict call costs about a·n + b, so merging pays only while the model is
 * busy anyway. Queued rows are dispatched at the end of the current event-loop turn (setImmediate:
 * no timer, no added latency at low load; every request parsed in the same turn joins the batch)
 * whenever fewer than `maxConcurrentBatches` batches run. While the model is busy, rows wait for it,
 * but never longer than `maxLatencyMs`; a full batch never waits.
 */
export class Batcher {
  private pending: Part[] = [];
  private pendingRows = 0;
  private running = 0;
  private flushScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly maxConcurrent: number;

  constructor(
    private readonly predictFn: Predict,
    private readonly opts: BatcherOptions,
  ) {
    this.maxConcurrent = opts.maxConcurrentBatches ?? 1;
  }

  /** Rows waiting for a batch. */
  get queuedRows(): number {
    return this.pendingRows;
  }

  async predict(frame: Frame, params?: Record<string, unknown>, deadline?: Deadline): Promise<Frame> {
    const max = this.opts.maxBatchSize;
    const key = `${schemaKey(frame)}\u0002${params ? JSON.stringify(params) : ''}`;
    const parts: Array<Promise<Frame>> = [];
    for (let start = 0; start < Math.max(frame.length, 1); start += max) {
      const slice = sliceFrame(frame, start, Math.min(frame.length, start + max));
      parts.push(
        new Promise<Frame>((resolve, reject) => {
          this.pending.push({ frame: slice, key, params, deadline, enqueuedAt: Date.now(), resolve, reject });
          this.pendingRows += slice.length;
        }),
      );
    }
    this.schedule();
    const outs = await Promise.all(parts);
    return concatFrames(outs);
  }

  private schedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    this.dropExpired();
    while (this.pending.length > 0) {
      const full = this.pendingRows >= this.opts.maxBatchSize;
      const overdue = Date.now() - this.pending[0]!.enqueuedAt >= this.opts.maxLatencyMs;
      if (this.running >= this.maxConcurrent && !full && !overdue) break;
      void this.run(this.takeBatch());
    }
    this.armTimer();
  }

  private armTimer(): void {
    if (this.timer || this.pending.length === 0) return;
    const wait = Math.max(0, this.pending[0]!.enqueuedAt + this.opts.maxLatencyMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
    this.timer.unref?.();
  }

  private dropExpired(): void {
    if (!this.pending.some((p) => p.deadline?.expired)) return;
    this.pending = this.pending.filter((p) => {
      if (!p.deadline?.expired) return true;
      this.pendingRows -= p.frame.length;
      p.reject(new Error('expired')); // the request was already answered with 504
      return false;
    });
  }

  /** The oldest part, and after it the queued parts of the same key that still fit. */
  private takeBatch(): Part[] {
    const first = this.pending[0]!;
    const batch = [first];
    let rows = first.frame.length;
    const rest: Part[] = [];
    for (let i = 1; i < this.pending.length; i++) {
      const p = this.pending[i]!;
      if (p.key === first.key && rows + p.frame.length <= this.opts.maxBatchSize) {
        batch.push(p);
        rows += p.frame.length;
      } else rest.push(p);
    }
    this.pending = rest;
    this.pendingRows -= rows;
    return batch;
  }

  private async run(batch: Part[]): Promise<void> {
    this.running++;
    try {
      await this.runBatch(batch);
    } finally {
      this.running--;
      if (this.pending.length > 0) this.schedule();
    }
  }

  private async runBatch(batch: Part[]): Promise<void> {
    const first = batch[0]!;
    if (batch.length === 1) {
      this.opts.onBatch?.(first.frame.length);
      await this.predictFn(first.frame, first.params).then(first.resolve, first.reject);
      return;
    }
    const input = concatFrames(batch.map((p) => p.frame));
    this.opts.onBatch?.(input.length);
    let out: Frame | undefined;
    try {
      out = await this.predictFn(input, first.params);
    } catch {
      out = undefined;
    }
    if (!out || out.length !== input.length) {
      // One bad request must not fail its neighbours: score each part alone, for its own answer.
      await Promise.all(batch.map((p) => this.runBatch([p])));
      return;
    }
    let at = 0;
    for (const p of batch) {
      p.resolve(sliceFrame(out, at, at + p.frame.length));
      at += p.frame.length;
    }
  }
}
