import { CairnError } from '../core/errors.js';
import type { Metric } from '../tracking/types.js';

export interface MetricBufferOptions {
  /** Points per log-batch call (MLflow's limit: 1000). */
  batchSize?: number;
  /** A partial batch is sent this long after its first point, in ms. */
  intervalMs?: number;
  /** Past this many buffered points, `push` answers false: the caller should `await flush()`. */
  highWaterMark?: number;
}

/**
 * Metric points held in memory and sent in the background, as log-batch calls of at most
 * `batchSize` points, one call at a time. `push` never waits for I/O. A failed call is remembered
 * (its points are dropped) and re-thrown by the next `flush()`; it never becomes an unhandled rejection.
 */
export class MetricBuffer {
  private queue: Metric[] = [];
  private head = 0;
  private pushed = 0;
  private settled = 0;
  private sending: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private error: unknown;
  private lost = 0;
  /** How many log-batch calls have completed (succeeded or failed). */
  batchesSent = 0;
  private readonly batchSize: number;
  private readonly intervalMs: number;
  private readonly highWaterMark: number;

  constructor(
    private readonly send: (batch: Metric[]) => Promise<void>,
    options: MetricBufferOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 1000;
    this.intervalMs = options.intervalMs ?? 200;
    this.highWaterMark = options.highWaterMark ?? 100_000;
  }

  /** Points buffered and not yet sent. */
  get size(): number {
    return this.queue.length - this.head;
  }

  /** Buffers points; true while the buffer is under its high-water mark. */
  push(...points: Metric[]): boolean {
    for (const p of points) this.queue.push(p);
    this.pushed += points.length;
    if (this.size >= this.batchSize) this.start(false);
    else this.arm();
    return this.size < this.highWaterMark;
  }

  /**
   * Resolves once every point pushed before the call has been sent; throws the first error of a
   * background send since the last flush (once).
   */
  async flush(): Promise<void> {
    const target = this.pushed;
    while (this.settled < target) {
      this.start(true);
      await this.sending;
    }
    if (this.error !== undefined) {
      const e = this.error;
      const lost = this.lost;
      this.error = undefined;
      this.lost = 0;
      if (e instanceof CairnError) {
        throw new CairnError(e.code, `${e.message} (${lost} metric point(s) were not logged)`, { cause: e });
      }
      throw e;
    }
  }

  /** Sends a partial batch after the interval, unless a send is on its way. */
  private arm(): void {
    if (this.timer !== undefined || this.sending !== undefined || this.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.start(true);
    }, this.intervalMs);
    // Pending points never keep the process alive: `beforeExit` flushes them.
    this.timer.unref();
  }

  /** Starts the sender if it is idle: full batches only, or (`all`) everything buffered. */
  private start(all: boolean): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.sending !== undefined || this.size === 0) return;
    this.sending = this.drain(all).finally(() => {
      this.sending = undefined;
      this.arm();
    });
  }

  private async drain(all: boolean): Promise<void> {
    while (this.size >= (all ? 1 : this.batchSize)) {
      const batch = this.queue.slice(this.head, this.head + this.batchSize);
      this.head += batch.length;
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      } else if (this.head >= 65_536) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      try {
        await this.send(batch);
      } catch (e) {
        this.lost += batch.length;
        if (this.error === undefined) this.error = e;
      } finally {
        this.settled += batch.length;
        this.batchesSent++;
      }
    }
  }
}
