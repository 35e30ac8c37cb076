import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { isLoopbackHost, unauthenticatedBindWarning } from '../auth/server-auth.js';
import type { Permission } from '../auth/types.js';
import { defaultDatabaseUri } from '../core/config.js';
import { hardeningForBind } from '../server/hardening.js';
import { buildApp } from './app.js';
import { openServingAuth, type ServingAuth } from './auth.js';
import type { Deployment } from './deployment.js';
import { FeedbackStore, feedbackRoutes } from './feedback.js';
import { InferenceLog } from './inference-log.js';
import { ServingMetrics } from './metrics.js';
import type { WorkerCount } from './model-loader.js';
import { Admission } from './queue.js';
import type { Route } from './routing.js';
import { closeServed, loadServed } from './served.js';
import type { BatchingOptions, InferenceSink, ModelIdentity, ServableModel } from './types.js';

export interface ServingOptions extends Partial<BatchingOptions> {
  /** A model URI (`models:/fraud@champion`, `runs:/<id>/model`, …), resolved through `trackingUri`. */
  modelUri?: string;
  /** A local model directory. */
  modelDir?: string;
  /** An already-loaded model (a `CairnModel`, or any object with `predict`); predicts in-process. */
  model?: ServableModel;
  /**
   * A deployment (or the path of its YAML file): weighted routes, an optional shadow, sticky
   * routing. Instead of `modelUri` / `modelDir` / `model`.
   */
  deployment?: Deployment | string;
  /** Already-loaded models by URI: a deployment URI found here is served as is (tests, embedding). */
  models?: Record<string, ServableModel>;
  /**
   * Worker threads per model: each loads the model from its directory and runs batches, so
   * predict never blocks the event loop. 0 predicts on the event loop, in-process (always so for
   * `model` and `models`, which are already loaded here). Default `auto`: in-process for a tiny
   * XGBoost or ONNX model (≤ 1 MiB), else 1 thread.
   */
  workers?: WorkerCount;
  /** The store or server that resolves `modelUri` (default as `connect()`). */
  trackingUri?: string;
  /** Load flavors that run code from the model directory (`js`). */
  allowCode?: boolean;
  /** The Open Inference Protocol's model name (default: the registered name, or `model`). */
  modelName?: string;
  /** Where every answered request (and every shadow answer) is recorded, after the reply. */
  sink?: InferenceSink;
  /**
   * A metadata store URI (`sqlite:///…`, `postgresql://…`) to keep the inference log in, with
   * `POST /feedback` for late ground-truth labels. Ignored when `sink` is given.
   */
  inferenceLog?: string;
  /** Share of requests the inference log keeps, 0..1 (default 1). */
  sampleRate?: number;
  /** Seeds the weighted route choice and the shadow sampling (default: unseeded). */
  seed?: number;
  /** Hot reload poll interval in ms (default 500 for an embedded store, 3000 for a remote one). */
  reloadIntervalMs?: number;
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Largest request body in bytes (default 32 MB). */
  bodyLimit?: number;
  logger?: boolean;
  /**
   * `Host` header patterns accepted (`--allowed-hosts`). Default: localhost, 127.0.0.1 and [::1]
   * when bound to a loopback address; any host otherwise.
   */
  allowedHosts?: string[];
  /** Origins allowed cross-origin access (`--cors-allowed-origins`); default none. */
  corsAllowedOrigins?: string[];
  /**
   * Require credentials (Basic or Bearer, as `cairn server --auth`) and READ on the served
   * registered models. Users and grants are read from `authStore`.
   */
  auth?: boolean;
  /** The metadata store holding users and grants (default `trackingUri`, then as `connect()`). */
  authStore?: string;
  /** With auth: what users hold where nothing was granted. Default NO_PERMISSIONS. */
  authDefaultPermission?: Permission;
  /** Where a warning about serving a non-loopback address without auth goes (default stderr). */
  warn?: (message: string) => void;
}

export interface ServingHandle {
  url: string;
  app: FastifyInstance;
  /** Who answers by default (the first route's model at start). */
  id: ModelIdentity;
  routes: readonly Route[];
  /** Worker threads per model as asked (0: on the event loop; `auto`: see each route's model). */
  workers: WorkerCount;
  /** Stops accepting connections, answers the requests in flight, then unloads the models. */
  close(): Promise<void>;
}

async function prepare(options: ServingOptions) {
  let metrics: ServingMetrics | undefined;
  const served = await loadServed(options, () => metrics);
  const o = { ...options, ...served.batching };
  const admission = new Admission(o.maxQueue);
  const first = served.routes[0]!.id;
  metrics = new ServingMetrics({ model: served.name, version: first.version ?? '' }, () => ({
    requests: admission.depth,
    rows: [...served.routes, ...(served.shadow ? [served.shadow.route] : [])].reduce(
      (s, r) => s + r.queuedRows,
      0,
    ),
  }));
  return { served, metrics, admission, o };
}

/** Loads the models, builds the scoring app and listens. */
export async function startServing(options: ServingOptions): Promise<ServingHandle> {
  const sampleRate = options.sampleRate ?? 1;
  const log =
    options.inferenceLog && !options.sink
      ? await InferenceLog.open(options.inferenceLog, {
          sampleRate,
          ...(options.seed !== undefined ? { seed: options.seed } : {}),
        })
      : undefined;
  const host = options.host ?? '127.0.0.1';
  let auth: ServingAuth | undefined;
  let prepared: Awaited<ReturnType<typeof prepare>>;
  try {
    auth = options.auth ? await openServingAuth(authOptions(options)) : undefined;
    prepared = await prepare(log ? { ...options, sink: log } : options);
  } catch (e) {
    await auth?.close();
    await log?.close();
    throw e;
  }
  if (!auth && !isLoopbackHost(host))
    (options.warn ?? ((m: string) => process.stderr.write(m)))(
      unauthenticatedBindWarning(host).replace('cairn server', 'cairn serve'),
    );
  const { served, metrics, admission, o } = prepared;
  let app: FastifyInstance;
  try {
    const { auth: _asked, ...appOptions } = o;
    app = buildApp(served, metrics, admission, {
      ...appOptions,
      hardening: hardeningForBind(host, options),
      ...(auth ? { auth } : {}),
    });
    // Labels for logged requests; when sampling, a caller cannot know which requests were kept.
    if (log)
      await app.register(
        feedbackRoutes(new FeedbackStore(log.handle, { log, allowUnknown: sampleRate < 1 })),
      );
    await app.listen({ host, port: options.port ?? 8080 });
  } catch (e) {
    await closeServed(served);
    await auth?.close();
    await log?.close();
    throw e;
  }
  const addr = app.server.address() as AddressInfo;
  const bound = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${bound}:${addr.port}`,
    app,
    id: { ...served.routes[0]!.id },
    routes: served.routes,
    workers: served.workers,
    close: async () => {
      await app.close();
      await closeServed(served);
      await auth?.close();
      await log?.close(); // after the drain, so every answered request is written
    },
  };
}

/** Where `cairn serve --auth` reads users: `authStore`, else the tracking store, else the default. */
function authOptions(o: ServingOptions) {
  const storeUri =
    o.authStore ?? o.trackingUri ?? process.env['CAIRN_TRACKING_URI'] ?? process.env['MLFLOW_TRACKING_URI'];
  return {
    storeUri: storeUri ?? defaultDatabaseUri(),
    ...(o.authDefaultPermission ? { defaultPermission: o.authDefaultPermission } : {}),
  };
}
