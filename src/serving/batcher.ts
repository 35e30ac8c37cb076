import type { Frame } from '../core/frame.js';
import { BatchCostModel, BusyArrivalRate, dispatchWaitMs } from './batch-cost.js';
import { concatFrames, schemaKey, sliceFrame } from './frames.js';
import type { Deadline } from './queue.js';
import type { PredictOptions } from './types.js';

type Predict = (
  inputs: Frame,
  params: Record<string, unknown> | undefined,
  o: PredictOptions,
) => Promise<Frame>;

export interface BatcherOptions {
  /** Most rows in one predict call. */
  maxBatchSize: number;
  /** Longest queued rows wait for a batch to form. */
  maxLatencyMs: number;
  /** Batches run at once (one per worker thread; default 1) before rows wait for one to finish. */
  maxConcurrentBatches?: number;
  /** Called with the rows of each predict call (for the batch-size histogram). */
  onBatch?: (rows: number) => void;
  /** The model stops work when its `signal` aborts (a worker pool): pass one per batch. */
  abortable?: boolean;
  /** The clock, in ms (tests). */
  now?: () => number;
}

interface Part {
  frame: Frame;
  /** The batcher made this frame (a split), so its buffers may move to a worker. */
  owned: boolean;
  /** Parts merge only with parts of the same key (same columns and types, same params). */
  key: string;
  params: Record<string, unknown> | undefined;
  deadline: Deadline | undefined;
  enqueuedAt: number;
  resolve(out: Frame): void;
  reject(e: unknown): void;
}

/** Waits shorter than this are not worth a timer: dispatch now. */
const MIN_WAIT_MS = 0.05;

/**
 * Adaptive micro-batching for one model. Rows of concurrent requests are merged into one predict
 * call of at most `maxBatchSize` rows; a bigger request is split into parts.
 *
 * When to dispatch. While every worker is busy, rows queue (up to `maxLatencyMs`, or until a
 * batch is full). When a worker is free, queued rows go at the end of the current event-loop turn
 * (setImmediate: every request parsed in that turn joins), unless the cost model says waiting pays:
 * the batcher learns a predict call's cost as a·n + b and the rate rows arrive while it is busy,
 * and holds the rows only while the fixed cost b they would share with newcomers outweighs the
 * wait (see dispatchWaitMs). At concurrency 1 nothing arrives while a request is held, so nothing
 * waits. A batch whose requests have all passed their deadlines is aborted (its worker freed).
 */
export class Batcher {
  private pending: Part[] = [];
  private pendingRows = 0;
  private running = 0;
  private flushScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  /** While a free worker is held back for more rows: when the hold ends (it never extends). */
  private holdUntil: number | undefined;
  private readonly maxConcurrent: number;
  private readonly now: () => number;
  readonly cost = new BatchCostModel();
  readonly arrivals = new BusyArrivalRate();

  constructor(
    private readonly predictFn: Predict,
    private readonly opts: BatcherOptions,
  ) {
    this.maxConcurrent = opts.maxConcurrentBatches ?? 1;
    this.now = opts.now ?? (() => performance.now());
  }

  /** Rows waiting for a batch. */
  get queuedRows(): number {
    return this.pendingRows;
  }

  /** Batches running now. */
  get runningBatches(): number {
    return this.running;
  }

  async predict(frame: Frame, params?: Record<string, unknown>, deadline?: Deadline): Promise<Frame> {
    const max = this.opts.maxBatchSize;
    const key = `${schemaKey(frame)}\u0002${params ? JSON.stringify(params) : ''}`;
    const now = this.now();
    this.arrivals.arrive(frame.length, this.pendingRows > 0 || this.running > 0, now);
    const parts: Array<Promise<Frame>> = [];
    for (let start = 0; start < Math.max(frame.length, 1); start += max) {
      const slice = sliceFrame(frame, start, Math.min(frame.length, start + max));
      parts.push(
        new Promise<Frame>((resolve, reject) => {
          const owned = slice !== frame;
          this.pending.push({ frame: slice, owned, key, params, deadline, enqueuedAt: now, resolve, reject });
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
      const now = this.now();
      const oldestWait = now - this.pending[0]!.enqueuedAt;
      const full = this.pendingRows >= this.opts.maxBatchSize;
      const overdue = oldestWait >= this.opts.maxLatencyMs;
      if (!full && !overdue) {
        if (this.running >= this.maxConcurrent) break; // rows gather while every worker is busy
        if (this.holdUntil === undefined || now < this.holdUntil) {
          const wait = dispatchWaitMs({
            queued: this.pendingRows,
            oldestWaitMs: oldestWait,
            maxBatchSize: this.opts.maxBatchSize,
            maxLatencyMs: this.opts.maxLatencyMs,
            cost: this.cost.coefficients(),
            arrivalRate: this.arrivals.at(now),
          });
          const until = Math.min(now + wait, this.holdUntil ?? Number.POSITIVE_INFINITY);
          if (until - now >= MIN_WAIT_MS) {
            this.holdUntil = until;
            this.armTimer(until);
            break;
          }
        }
      }
      this.holdUntil = undefined;
      void this.run(this.takeBatch());
    }
    if (this.pending.length > 0) this.armTimer(this.pending[0]!.enqueuedAt + this.opts.maxLatencyMs);
  }

  /** Flushes again at `at` (ms on the batcher's clock), or earlier if already due earlier. */
  private armTimer(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.flush();
      },
      Math.max(0, at - this.now()),
    );
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

  /**
   * Scores a batch. For a model that can stop work (`abortable`: a worker pool), the batch is
   * aborted once all its requests have passed their deadlines, which frees its thread.
   */
  private async call(batch: Part[], input: Frame, owned: boolean): Promise<Frame> {
    let controller: AbortController | undefined;
    const unsubscribe: Array<() => void> = [];
    if (this.opts.abortable && batch.every((p) => p.deadline)) {
      const ctl = new AbortController();
      controller = ctl;
      let left = batch.length;
      for (const p of batch)
        unsubscribe.push(
          p.deadline!.onExpire(() => {
            if (--left === 0) ctl.abort();
          }),
        );
    }
    this.opts.onBatch?.(input.length);
    const started = this.now();
    try {
      const out = await this.predictFn(input, batch[0]!.params, {
        ...(controller ? { signal: controller.signal } : {}),
        owned,
      });
      this.cost.observe(input.length, this.now() - started);
      return out;
    } finally {
      for (const u of unsubscribe) u();
    }
  }

  private async runBatch(batch: Part[]): Promise<void> {
    const first = batch[0]!;
    if (batch.length === 1) {
      await this.call(batch, first.frame, first.owned).then(first.resolve, first.reject);
      return;
    }
    const input = concatFrames(batch.map((p) => p.frame));
    let out: Frame | undefined;
    try {
      out = await this.call(batch, input, true);
    } catch {
      out = undefined;
    }
    if (!out || out.length !== input.length) {
      // One bad request must not fail its neighbours: score each part alone, for its own answer
      // (parts already past their deadline were answered 504 and are dropped).
      const live = batch.filter((p) => {
        if (p.deadline?.expired) p.reject(new Error('expired'));
        return !p.deadline?.expired;
      });
      await Promise.all(live.map((p) => this.runBatch([p])));
      return;
    }
    let at = 0;
    for (const p of batch) {
      p.resolve(sliceFrame(out, at, at + p.frame.length));
      at += p.frame.length;
    }
  }
}
