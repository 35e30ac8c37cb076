import { CairnError } from './errors.js';

/**
 * A bounded number of concurrent holders with a bounded queue: past `maxWaiting` waiters, `take`
 * refuses at once with REQUEST_LIMIT_EXCEEDED instead of queueing without end.
 */
export class Slots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly max: number,
    readonly maxWaiting: number,
    private readonly refusal = 'Too many requests at once; retry shortly.',
  ) {}

  get inUse(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Waits for a slot; the returned function gives it back (to the next waiter, if any). */
  async take(): Promise<() => void> {
    if (this.running < this.max) this.running++;
    else if (this.waiting.length >= this.maxWaiting)
      throw new CairnError('REQUEST_LIMIT_EXCEEDED', this.refusal);
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    };
  }

  /** Runs `work` in a slot. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.take();
    try {
      return await work();
    } finally {
      release();
    }
  }
}
