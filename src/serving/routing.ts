import type { Frame } from '../core/frame.js';
import { Batcher } from './batcher.js';
import type { Deadline } from './queue.js';
import type { BatchingOptions, ModelIdentity, ServableModel } from './types.js';

/** A key hashed (FNV-1a, then a murmur finalizer) into [0, 1): one key always maps to one point. */
export function hashUnit(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** One loaded model version behind a route, with its own batcher. */
class Slot {
  inflight = 0;
  retired = false;
  private closed = false;
  private readonly batcher: Batcher | undefined;

  constructor(
    readonly model: ServableModel,
    readonly id: ModelIdentity,
    readonly release: () => Promise<void>,
    batching: BatchingOptions,
    onBatch: (rows: number) => void,
  ) {
    if (batching.batching)
      this.batcher = new Batcher((f, p, o) => model.predict(f, p, o), {
        maxBatchSize: batching.maxBatchSize,
        maxLatencyMs: batching.maxLatencyMs,
        maxConcurrentBatches: model.concurrency ?? 1,
        abortable: model.abortable ?? false,
        onBatch,
      });
    else this.onBatch = onBatch;
  }

  private onBatch: ((rows: number) => void) | undefined;

  get queuedRows(): number {
    return this.batcher?.queuedRows ?? 0;
  }

  predict(frame: Frame, params: Record<string, unknown> | undefined, deadline?: Deadline): Promise<Frame> {
    if (this.batcher) return this.batcher.predict(frame, params, deadline);
    this.onBatch?.(frame.length);
    if (!deadline || !this.model.abortable) return this.model.predict(frame, params);
    const controller = new AbortController();
    const unsubscribe = deadline.onExpire(() => controller.abort());
    return this.model.predict(frame, params, { signal: controller.signal }).finally(unsubscribe);
  }

  /** Closes the model once retired and drained (idempotent). */
  async maybeClose(): Promise<void> {
    if (!this.retired || this.inflight > 0 || this.closed) return;
    this.closed = true;
    await this.release().catch((e: unknown) => process.emitWarning(`Closing a model failed: ${String(e)}`));
  }
}

export interface Answer {
  out: Frame;
  id: ModelIdentity;
}

/**
 * A named deployment route: one model at a time, swapped atomically on reload. Requests already
 * in a batch of the old model finish on it; it is closed once they drain.
 */
export class Route {
  private slot: Slot;
  reloads = 0;

  constructor(
    readonly name: string,
    readonly uri: string,
    readonly weight: number,
    private readonly batching: BatchingOptions,
    private readonly onBatch: (rows: number) => void,
    model: ServableModel,
    id: ModelIdentity,
    release: () => Promise<void>,
  ) {
    this.slot = new Slot(model, id, release, batching, onBatch);
  }

  get id(): ModelIdentity {
    return this.slot.id;
  }

  get model(): ServableModel {
    return this.slot.model;
  }

  get queuedRows(): number {
    return this.slot.queuedRows;
  }

  async predict(
    frame: Frame,
    params: Record<string, unknown> | undefined,
    deadline?: Deadline,
  ): Promise<Answer> {
    const slot = this.slot;
    slot.inflight++;
    try {
      return { out: await slot.predict(frame, params, deadline), id: slot.id };
    } finally {
      slot.inflight--;
      void slot.maybeClose();
    }
  }

  /** Makes `model` answer every new request; the old model closes after its requests drain. */
  swap(model: ServableModel, id: ModelIdentity, release: () => Promise<void>): void {
    const old = this.slot;
    this.slot = new Slot(model, id, release, this.batching, this.onBatch);
    this.reloads++;
    old.retired = true;
    void old.maybeClose();
  }

  /** Closes the current model (after its requests drain). */
  async close(): Promise<void> {
    this.slot.retired = true;
    await this.slot.maybeClose();
  }
}

/** Chooses a route per request: by weight at random, or by a hashed sticky key. */
export class Router {
  private readonly cumulative: number[];
  private readonly total: number;

  constructor(
    readonly routes: readonly Route[],
    private readonly rng: () => number,
  ) {
    let sum = 0;
    this.cumulative = routes.map((r) => (sum += r.weight));
    this.total = sum;
  }

  pick(stickyKey?: string): Route {
    const u = stickyKey === undefined ? this.rng() : hashUnit(stickyKey);
    const x = u * this.total;
    for (let i = 0; i < this.routes.length; i++) {
      if (x < this.cumulative[i]! && this.routes[i]!.weight > 0) return this.routes[i]!;
    }
    // Rounding at the top edge: the last route with weight.
    return [...this.routes].reverse().find((r) => r.weight > 0)!;
  }
}
