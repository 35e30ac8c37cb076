import { CairnError } from '../core/errors.js';
import { parseModelUri } from '../registry/model-uri.js';
import { type Deployment, loadDeploymentFile, parseDeployment } from './deployment.js';
import type { ServingMetrics } from './metrics.js';
import { type LoadedServable, ModelLoader, type WorkerCount } from './model-loader.js';
import { Reloader } from './reload.js';
import { Route } from './routing.js';
import type { BatchingOptions, ServableModel } from './types.js';

/** What `loadServed` reads of the serving options. */
export interface ServedOptions extends Partial<BatchingOptions> {
  modelUri?: string;
  modelDir?: string;
  model?: ServableModel;
  deployment?: Deployment | string;
  models?: Record<string, ServableModel>;
  trackingUri?: string;
  allowCode?: boolean;
  modelName?: string;
  reloadIntervalMs?: number;
  workers?: WorkerCount;
}

/** A deployment's loaded parts. */
export interface Served {
  routes: Route[];
  shadow?: { name: string; route: Route; fraction: number };
  stickyHeader?: string;
  reloader?: Reloader;
  loader: ModelLoader;
  name: string;
  /** Options over the deployment's `batching` over the defaults. */
  batching: BatchingOptions;
  /** Worker threads per model (0: predict on the event loop; `auto`: by model, see autoWorkers). */
  workers: WorkerCount;
}

export const BATCHING_DEFAULTS: BatchingOptions = {
  maxBatchSize: 256,
  maxLatencyMs: 5,
  maxQueue: 1024,
  timeoutMs: 30_000,
  batching: true,
};

/** Worker threads per model by default: `auto` (see autoWorkers). */
export const DEFAULT_WORKERS: WorkerCount = 'auto';

async function toDeployment(o: ServedOptions): Promise<Deployment | undefined> {
  if (o.deployment === undefined) return undefined;
  if (typeof o.deployment === 'string') return loadDeploymentFile(o.deployment);
  return parseDeployment(o.deployment);
}

type Spec = { name: string; model: string; weight: number };

/** Loads every route of the deployment (or the one model), then starts hot reload. */
export async function loadServed(
  o: ServedOptions,
  metrics: () => ServingMetrics | undefined,
): Promise<Served> {
  const dep = await toDeployment(o);
  const batching: BatchingOptions = {
    ...BATCHING_DEFAULTS,
    ...stripUndefined(dep?.batching ?? {}),
    ...stripUndefined(pickBatching(o)),
  };
  // The option (`--workers`) over the deployment's `workers` over the default.
  const workers = o.model ? 0 : (o.workers ?? dep?.workers ?? DEFAULT_WORKERS);
  if (workers !== 'auto' && (!Number.isInteger(workers) || workers < 0))
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `workers must be 'auto' or an integer >= 0, got ${o.workers}`,
    );
  const trackingUri = dep?.trackingUri ?? o.trackingUri;
  const loader = new ModelLoader({
    workers,
    allowCode: o.allowCode ?? false,
    ...(trackingUri ? { trackingUri } : {}),
    ...(o.models ? { models: o.models } : {}),
  });
  const onBatch = (rows: number) => metrics()?.observeBatch(rows);
  const loaded: Array<{ spec: Spec; l: LoadedServable }> = [];
  try {
    for (const [spec, l] of await loadSpecs(o, dep, loader)) loaded.push({ spec, l });
  } catch (e) {
    await loader.close();
    throw e;
  }
  const all = loaded.map(
    ({ spec, l }) =>
      new Route(spec.name, spec.model, spec.weight, batching, onBatch, l.model, l.id, l.release),
  );
  const routes = dep ? all.slice(0, dep.routes.length) : all;
  const shadowRoute = dep?.shadow ? all[all.length - 1] : undefined;
  const served: Served = {
    routes,
    loader,
    name: o.modelName ?? routes[0]!.id.name,
    batching,
    workers,
    ...(shadowRoute && dep?.shadow
      ? { shadow: { name: shadowRoute.name, route: shadowRoute, fraction: dep.shadow.fraction } }
      : {}),
    ...(dep?.sticky ? { stickyHeader: dep.sticky.header } : {}),
  };
  // Hot reload for routes that follow an alias, a stage or `latest` in the registry.
  const following = o.model
    ? []
    : all.filter((r) => !o.models?.[r.uri] && parseModelUri(r.uri).kind !== 'local');
  if (following.length > 0) {
    const interval = dep?.reloadIntervalMs ?? o.reloadIntervalMs;
    const reloader = new Reloader(following, {
      client: await loader.getClient(),
      ...(interval ? { intervalMs: interval } : {}),
      // Downloads here, then loads in the worker pool: the event loop keeps serving meanwhile.
      load: (route, version) =>
        loader.load(`models:/${encodeURIComponent(route.id.name)}/${version}`, {
          uri: route.uri,
          name: route.id.name,
        }),
      onReload: (route) => metrics()?.observeReload(route.name),
    });
    served.reloader = reloader;
    try {
      await reloader.start();
    } catch (e) {
      await closeServed(served);
      throw e;
    }
  }
  return served;
}

/** Loads the deployment's models (all or none: on a failure, those loaded are released). */
async function loadSpecs(
  o: ServedOptions,
  dep: Deployment | undefined,
  loader: ModelLoader,
): Promise<Array<[Spec, LoadedServable]>> {
  if (o.model) {
    const uri = o.modelUri ?? o.modelDir ?? 'memory';
    const mv = o.model.modelVersion;
    const id = { uri, name: mv?.name ?? 'model', ...(mv ? { version: String(mv.version) } : {}) };
    return [
      [
        { name: 'main', model: uri, weight: 1 },
        { model: o.model, id, release: async () => {} },
      ],
    ];
  }
  if (o.modelDir) {
    const model = await loader.openDir(o.modelDir);
    const id = { uri: o.modelDir, name: 'model' };
    return [
      [
        { name: 'main', model: o.modelDir, weight: 1 },
        { model, id, release: () => model.close() },
      ],
    ];
  }
  let specs: Spec[];
  if (dep) {
    specs = dep.shadow
      ? [...dep.routes, { name: `shadow:${dep.shadow.name ?? 'shadow'}`, model: dep.shadow.model, weight: 0 }]
      : dep.routes;
  } else if (o.modelUri) {
    specs = [{ name: 'main', model: o.modelUri, weight: 1 }];
  } else {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      'Serving needs a deployment, model, modelDir or modelUri',
    );
  }
  const settled = await Promise.allSettled(specs.map((spec) => loader.load(spec.model)));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.allSettled(settled.map((s) => (s.status === 'fulfilled' ? s.value.release() : undefined)));
    throw failed.reason;
  }
  return specs.map((spec, i) => [spec, (settled[i] as PromiseFulfilledResult<LoadedServable>).value]);
}

/** Stops hot reload, closes every model (after its requests drain) and the loader's client. */
export async function closeServed(served: Served): Promise<void> {
  await served.reloader?.close();
  await Promise.allSettled(
    [...served.routes, ...(served.shadow ? [served.shadow.route] : [])].map((r) => r.close()),
  );
  await served.loader.close();
}

function pickBatching(o: Partial<BatchingOptions>): Partial<BatchingOptions> {
  return {
    maxBatchSize: o.maxBatchSize,
    maxLatencyMs: o.maxLatencyMs,
    maxQueue: o.maxQueue,
    timeoutMs: o.timeoutMs,
    batching: o.batching,
  } as Partial<BatchingOptions>;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
