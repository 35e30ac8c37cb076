import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CairnClient } from '../client/client.js';
import { connect } from '../client/connect.js';
import { loadableFlavors } from '../models/flavors/index.js';
import { readManifest } from '../models/manifest.js';
import { loadModel } from '../models/model-dir.js';
import { parseModelUri } from '../registry/model-uri.js';
import type { ModelIdentity, ServableModel } from './types.js';
import { WorkerModel } from './worker-model.js';

/** A model ready to serve, who it is, and how to let it go. */
export interface LoadedServable {
  model: ServableModel;
  id: ModelIdentity;
  release(): Promise<void>;
}

/** Worker threads per model, or `auto`: by model (see autoWorkers). */
export type WorkerCount = number | 'auto';

/** Models up to this size (all files) of a flavor that runs no user code count as tiny. */
export const TINY_MODEL_BYTES = 1 << 20;
const NO_CODE_FLAVORS = new Set(['xgboost', 'onnx']);

/**
 * `auto`: a tiny XGBoost or ONNX model (≤ 1 MiB of files) predicts on the event loop, anything
 * else in one worker thread. Scoring a batch on a tiny model takes microseconds, less than the hop
 * to a thread and back (~0.1 ms, ~0.3 ms on the request's latency at concurrency 1, measured by
 * `npm run bench -- serving`); a bigger model, or a `js` one whose code may do anything, would
 * hold the event loop, so it gets a thread.
 */
export async function autoWorkers(dir: string): Promise<number> {
  const flavor = loadableFlavors(await readManifest(dir))[0]?.name;
  if (!flavor || !NO_CODE_FLAVORS.has(flavor)) return 1;
  return (await treeBytes(dir, TINY_MODEL_BYTES)) <= TINY_MODEL_BYTES ? 0 : 1;
}

/** Bytes of the files under `dir`, counting stops once past `limit`. */
async function treeBytes(dir: string, limit: number): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await treeBytes(p, limit - total);
    else if (e.isFile()) total += (await stat(p)).size;
    if (total > limit) break;
  }
  return total;
}

export interface ModelLoaderOptions {
  /** Worker threads per model; 0 predicts on the event loop; `auto` decides by model. */
  workers: WorkerCount;
  allowCode: boolean;
  /** The store or server that resolves model URIs (default as `connect()`). */
  trackingUri?: string;
  /** Already-loaded models by URI, served as they are. */
  models?: Record<string, ServableModel>;
}

type Version = { name: string; version: string | number };

/**
 * Loads models for serving. A registry or run URI is resolved and its directory downloaded here,
 * in the main thread; the model itself then loads from that local directory in each worker
 * thread (or in this thread with `workers: 0`). One client is shared by every load.
 */
export class ModelLoader {
  private client: Promise<CairnClient> | undefined;

  constructor(private readonly o: ModelLoaderOptions) {}

  getClient(): Promise<CairnClient> {
    this.client ??= connect(this.o.trackingUri);
    return this.client;
  }

  /** A local model directory, in the worker pool or in-process. */
  async openDir(dir: string, modelVersion?: Version): Promise<ServableModel & { close(): Promise<void> }> {
    const { allowCode } = this.o;
    const workers = this.o.workers === 'auto' ? await autoWorkers(dir) : this.o.workers;
    if (workers > 0)
      return WorkerModel.open(dir, { workers, allowCode, ...(modelVersion ? { modelVersion } : {}) });
    const model = await loadModel(dir, { allowCode });
    return modelVersion ? { ...model, modelVersion } : model;
  }

  /** Loads `uri`; `as` names the route's URI and model name when a followed version is loaded. */
  async load(uri: string, as?: { uri: string; name: string }): Promise<LoadedServable> {
    const identity = (model: ServableModel): ModelIdentity => {
      const mv = model.modelVersion;
      return {
        uri: as?.uri ?? uri,
        name: as?.name ?? mv?.name ?? 'model',
        ...(mv ? { version: String(mv.version) } : {}),
      };
    };
    const given = this.o.models?.[uri];
    if (given) return { model: given, id: identity(given), release: async () => {} };
    const ref = parseModelUri(uri);
    if (ref.kind === 'local') {
      const model = await this.openDir(ref.path);
      return { model, id: identity(model), release: () => model.close() };
    }
    const fetched = await (await this.getClient()).downloadModel(uri);
    try {
      const mv = fetched.modelVersion;
      const model = await this.openDir(fetched.dir, mv ? { name: mv.name, version: mv.version } : undefined);
      const release = async () => {
        await model.close();
        await fetched.remove();
      };
      return { model, id: identity(model), release };
    } catch (e) {
      await fetched.remove();
      throw e;
    }
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await (await c.catch(() => undefined))?.close();
  }
}
