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

/** A request's deadline: a flag the batcher checks before it spends a predict call on the request,
 * and a signal that fires when it passes (so running work can be cut short). */
export interface Deadline {
  readonly expired: boolean;
  readonly signal: AbortSignal;
}

/**
 * Races `work` against a deadline of `ms`: past it, rejects with DEADLINE_EXCEEDED and aborts
 * `deadline.signal`, so work not yet started is dropped and running work may be stopped.
 */
export function withDeadline<T>(ms: number, work: (deadline: Deadline) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const deadline: Deadline = {
    get expired() {
      return controller.signal.aborted;
    },
    signal: controller.signal,
  };
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new CairnError('DEADLINE_EXCEEDED', `The request did not complete within ${ms} ms`));
      controller.abort();
    }, ms);
  });
  return Promise.race([work(deadline), expiry]).finally(() => clearTimeout(timer));
}
