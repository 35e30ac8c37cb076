import type { Frame } from '../core/frame.js';
import type { ModelManifest, ModelSignature } from '../models/types.js';

/**
 * What serving needs of a model: a loaded `CairnModel` (or the SDK's handle) fits, and so does any
 * object with `predict`, which is how tests pass a stub.
 */
export interface ServableModel {
  predict(inputs: Frame, params?: Record<string, unknown>, options?: PredictOptions): Promise<Frame>;
  readonly signature?: ModelSignature;
  readonly manifest?: ModelManifest;
  readonly flavor?: string;
  /** The registry version the model came from, when it came from the registry. */
  readonly modelVersion?: { name: string; version: string | number };
  /** Predict calls it runs at once (its worker threads; default 1: the event loop). */
  readonly concurrency?: number;
  /** Predict stops its work when `options.signal` aborts (a worker pool's thread is freed). */
  readonly abortable?: boolean;
  close?(): Promise<void>;
}

/** How serving calls a model's predict; a model may ignore both. */
export interface PredictOptions {
  /** Aborted once every request of the batch has passed its deadline: the work may stop. */
  signal?: AbortSignal;
  /** The caller owns the input's buffers and will not read them again: they may move, uncopied. */
  owned?: boolean;
}

/** Who answered: the headers every response carries, and the labels of the metrics. */
export interface ModelIdentity {
  /** The URI (or directory) the model was loaded from. */
  uri: string;
  /** The name used by the Open Inference Protocol routes. */
  name: string;
  /** The registry version, when known. */
  version?: string;
}

export interface BatchingOptions {
  /** Most rows in one predict call (default 256). A bigger request is split. */
  maxBatchSize: number;
  /** Longest a queued row waits for a batch to form (default 5 ms). */
  maxLatencyMs: number;
  /** Most requests admitted (queued or running) at once; past it, 503 (default 1024). */
  maxQueue: number;
  /** Per-request deadline (default 30 s); past it, 504 DEADLINE_EXCEEDED. */
  timeoutMs: number;
  /** Merge rows of concurrent requests into one predict call (default true). */
  batching: boolean;
}

/** One answered request, as the inference log stores it (monitoring reads it with the feedback). */
export interface InferenceRecord {
  /** The request id (the `x-request-id` header if the caller sent one, else generated). */
  requestId: string;
  /** Milliseconds since the epoch when the request arrived. */
  time: number;
  /** The route (deployment entry) that answered, e.g. `main`, `canary`, or `shadow:<name>`. */
  route: string;
  modelUri: string;
  modelVersion?: string;
  /** Input rows and output rows as records (JSON-safe). */
  inputs: Array<Record<string, unknown>>;
  outputs: Array<Record<string, unknown>>;
  latencyMs: number;
  status: number;
}

/** Where serving sends its records: never on the request path (implementations buffer and batch). */
export interface InferenceSink {
  record(entry: InferenceRecord): void;
  close(): Promise<void>;
}
