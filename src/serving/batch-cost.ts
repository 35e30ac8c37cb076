/**
 * What adaptive dispatch knows: the cost of a predict call as a·n + b (ms for n rows), learned
 * online, and the rate at which rows arrive while the server is already busy.
 */

/** A least-squares fit of batch time against batch rows over a window of recent batches. */
export class BatchCostModel {
  private readonly rows: number[] = [];
  private readonly ms: number[] = [];
  private next = 0;
  private fit: { a: number; b: number } | undefined;

  constructor(private readonly window = 64) {}

  /** Records one batch: `rows` rows took `ms` milliseconds. */
  observe(rows: number, ms: number): void {
    if (!(rows > 0) || !Number.isFinite(ms) || ms < 0) return;
    if (this.rows.length < this.window) {
      this.rows.push(rows);
      this.ms.push(ms);
    } else {
      this.rows[this.next] = rows;
      this.ms[this.next] = ms;
      this.next = (this.next + 1) % this.window;
    }
    this.fit = undefined;
  }

  get observations(): number {
    return this.rows.length;
  }

  /**
   * The fitted per-row cost `a` and per-call cost `b` (both ≥ 0), or undefined before any batch.
   * With a single batch size in the window the two cannot be told apart: all of it is `b`, the
   * cost that merging saves, until batches of other sizes come.
   */
  coefficients(): { a: number; b: number } | undefined {
    if (this.fit) return this.fit;
    const n = this.rows.length;
    if (n === 0) return undefined;
    let sx = 0;
    let sy = 0;
    for (let i = 0; i < n; i++) {
      sx += this.rows[i]!;
      sy += this.ms[i]!;
    }
    const mx = sx / n;
    const my = sy / n;
    let sxx = 0;
    let sxy = 0;
    for (let i = 0; i < n; i++) {
      const dx = this.rows[i]! - mx;
      sxx += dx * dx;
      sxy += dx * (this.ms[i]! - my);
    }
    let a = sxx > 0 ? sxy / sxx : 0;
    if (a < 0) a = 0; // noise; a batch never costs less for having more rows
    let b = my - a * mx;
    if (b < 0) {
      // The line crosses below zero: all of the cost is per row.
      b = 0;
      a = my / mx;
    }
    this.fit = { a, b };
    return this.fit;
  }

  /** Predicted milliseconds for a batch of `rows` rows (0 before any observation). */
  predict(rows: number): number {
    const c = this.coefficients();
    return c ? c.a * rows + c.b : 0;
  }
}

/**
 * Rows per millisecond arriving while the server already holds work (queued or running rows).
 * A closed-loop client at concurrency 1 never sends while its own request is held, so it gives
 * no such arrivals and the rate decays to 0: waiting for company is never worth it then.
 */
export class BusyArrivalRate {
  private rate = 0;
  private last: number | undefined;

  /** `halfLifeMs`: how fast old evidence fades. */
  constructor(private readonly halfLifeMs = 50) {}

  /** A request of `rows` rows arrived at `now`; `busy` if work was already held then. */
  arrive(rows: number, busy: boolean, now: number): void {
    if (busy && this.last !== undefined) {
      const gap = Math.max(now - this.last, 0.01);
      const w = 1 - 0.5 ** (gap / this.halfLifeMs);
      this.rate += w * (rows / gap - this.rate);
    } else {
      this.rate = this.at(now);
    }
    this.last = now;
  }

  /** The rate now, decayed by the time since the last arrival. */
  at(now: number): number {
    if (this.last === undefined) return 0;
    return this.rate * 0.5 ** (Math.max(now - this.last, 0) / this.halfLifeMs);
  }
}

export interface DispatchInput {
  /** Rows queued for the next batch. */
  queued: number;
  /** Milliseconds the oldest queued row has waited. */
  oldestWaitMs: number;
  maxBatchSize: number;
  maxLatencyMs: number;
  /** The cost model's coefficients (undefined: nothing learnt yet). */
  cost: { a: number; b: number } | undefined;
  /** Rows per ms arriving while busy. */
  arrivalRate: number;
}

/**
 * How long to hold the queued rows before dispatching them to a free worker (0: now).
 *
 * Waiting t ms lets about λt more rows join. Merged, they share one call's fixed cost b instead
 * of paying it again: the saving is b·λt/n in total over the batch (n queued rows: the fixed
 * cost per row falls from b/n to b/(n+λt), for n+λt rows). The price is the added wait:
 * n·t for the queued rows and λt²/2 for the arrivals. The gain minus the price is largest at
 * t* = b/n − n/λ; the wait is t* when positive, bounded by what fills the batch and by what is
 * left of `maxLatencyMs`. With no arrivals while busy (λ = 0: concurrency 1) it is 0.
 */
export function dispatchWaitMs(d: DispatchInput): number {
  if (d.queued >= d.maxBatchSize || d.queued === 0) return 0;
  const budget = d.maxLatencyMs - d.oldestWaitMs;
  if (budget <= 0 || !d.cost || d.arrivalRate <= 0) return 0;
  const best = d.cost.b / d.queued - d.queued / d.arrivalRate;
  if (best <= 0) return 0;
  const fill = (d.maxBatchSize - d.queued) / d.arrivalRate;
  return Math.min(best, fill, budget);
}
