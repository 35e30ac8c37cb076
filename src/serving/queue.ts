import { CairnError } from '../core/errors.js';

/**
 * Admission control: at most `max` requests admitted (queued or running) at once. Past it a
 * request is refused at once with 503 and a Retry-After, so memory stays bounded under overload.
 */
export class Admission {
  private active = 0;

  constructor(
    readonly max: number,
    /** Seconds a refused client is told to wait. */
    readonly retryAfterS = 1,
  ) {}

  get depth(): number {
    return this.active;
  }

  /** Admits one request or throws TEMPORARILY_UNAVAILABLE; call `leave` once it is answered. */
  enter(): void {
    if (this.active >= this.max) {
      throw new OverloadedError(
        `The server is at capacity (${this.max} requests queued or running); retry later`,
        this.retryAfterS,
      );
    }
    this.active++;
  }

  leave(): void {
    this.active--;
  }
}

/** A 503 that carries the Retry-After the error edge sends. */
export class OverloadedError extends CairnError {
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super('TEMPORARILY_UNAVAILABLE', message);
  }
}

/**
 * A request's deadline: a flag the batcher checks before it spends a predict call on the request,
 * and callbacks for when it passes (so running work can be cut short). Lighter than an
 * AbortController, which every request would otherwise pay for.
 */
export class Deadline {
  private passed = false;
  private listeners: Array<() => void> | undefined;

  get expired(): boolean {
    return this.passed;
  }

  /** Calls `fn` once the deadline passes (at once if it has); returns the unsubscribe. */
  onExpire(fn: () => void): () => void {
    if (this.passed) {
      fn();
      return () => {};
    }
    this.listeners ??= [];
    this.listeners.push(fn);
    return () => {
      const i = this.listeners?.indexOf(fn) ?? -1;
      if (i >= 0) this.listeners!.splice(i, 1);
    };
  }

  expire(): void {
    if (this.passed) return;
    this.passed = true;
    const fns = this.listeners ?? [];
    this.listeners = undefined;
    for (const fn of fns) fn();
  }
}

/**
 * Races `work` against a deadline of `ms`: past it, rejects with DEADLINE_EXCEEDED and expires
 * the deadline, so work not yet started is dropped and running work may be stopped. One promise
 * and one timer per call (no Promise.race, no finally: this runs on every scoring request).
 */
export function withDeadline<T>(ms: number, work: (deadline: Deadline) => Promise<T>): Promise<T> {
  const deadline = new Deadline();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new CairnError('DEADLINE_EXCEEDED', `The request did not complete within ${ms} ms`));
      deadline.expire();
    }, ms);
    let running: Promise<T>;
    try {
      running = work(deadline);
    } catch (e) {
      clearTimeout(timer);
      throw e;
    }
    running.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
