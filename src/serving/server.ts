import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { CairnClient } from '../client/client.js';
import { connect } from '../client/connect.js';
import { CairnError } from '../core/errors.js';
import { loadModel } from '../models/model-dir.js';
import { parseModelUri } from '../registry/model-uri.js';
import { errorHandler, notFoundHandler } from '../server/errors.js';
import { type Deployment, loadDeploymentFile, parseDeployment } from './deployment.js';
import { FeedbackStore, feedbackRoutes } from './feedback.js';
import { formatPredictions, type RequestState, type ServingContext, servingRoutes } from './http.js';
import { InferenceLog } from './inference-log.js';
import { ServingMetrics } from './metrics.js';
import { Admission, OverloadedError } from './queue.js';
import { Reloader } from './reload.js';
import { Route, Router, rngFromSeed } from './routing.js';
import type { BatchingOptions, InferenceSink, ModelIdentity, ServableModel } from './types.js';

export interface ServingOptions extends Partial<BatchingOptions> {
  /** A model URI (`models:/fraud@champion`, `runs:/<id>/model`, …), resolved through `trackingUri`. */
  modelUri?: string;
  /** A local model directory. */
  modelDir?: string;
  /** An already-loaded model (a `CairnModel`, or any object with `predict`). */
  model?: ServableModel;
  /**
   * A deployment (or the path of its YAML file): weighted routes, an optional shadow, sticky
   * routing. Instead of `modelUri` / `modelDir` / `model`.
   */
  deployment?: Deployment | string;
  /** Already-loaded models by URI: a deployment URI found here is served as is (tests, embedding). */
  models?: Record<string, ServableModel>;
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
}

export interface ServingHandle {
  url: string;
  app: FastifyInstance;
  /** Who answers by default (the first route's model at start). */
  id: ModelIdentity;
  routes: readonly Route[];
  /** Stops accepting connections, answers the requests in flight, then unloads the models. */
  close(): Promise<void>;
}

const DEFAULTS: BatchingOptions = {
  maxBatchSize: 256,
  maxLatencyMs: 5,
  maxQueue: 1024,
  timeoutMs: 30_000,
  batching: true,
};

interface Loaded {
  model: ServableModel;
  id: ModelIdentity;
  release(): Promise<void>;
}

/** Loads models by URI: given ones, local directories, else through one shared client. */
class ModelLoader {
  private client: Promise<CairnClient> | undefined;

  constructor(private readonly o: ServingOptions & { trackingUri?: string }) {}

  getClient(): Promise<CairnClient> {
    this.client ??= connect(this.o.trackingUri);
    return this.client;
  }

  async load(uri: string, as?: { uri: string; name: string }): Promise<Loaded> {
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
    const allowCode = this.o.allowCode ?? false;
    const ref = parseModelUri(uri);
    if (ref.kind === 'local') {
      const model = await loadModel(ref.path, { allowCode });
      return { model, id: identity(model), release: () => model.close() };
    }
    const model = await (await this.getClient()).loadModel(uri, { allowCode });
    return { model, id: identity(model), release: () => model.close() };
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await (await c.catch(() => undefined))?.close();
  }
}

/** MLflow's scoring protocol answers input errors with BAD_REQUEST; 503s carry a Retry-After. */
function servingErrorHandler(error: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof OverloadedError) void reply.header('retry-after', String(error.retryAfterS));
  const e =
    error instanceof CairnError && error.code === 'INVALID_PARAMETER_VALUE'
      ? new CairnError('BAD_REQUEST', error.message)
      : error;
  errorHandler(e, req, reply);
}

/** A deployment's loaded parts. */
interface Served {
  routes: Route[];
  shadow?: { name: string; route: Route; fraction: number };
  stickyHeader?: string;
  reloader?: Reloader;
  loader: ModelLoader;
  name: string;
  /** Options over the deployment's `batching` over the defaults. */
  batching: BatchingOptions;
}

async function toDeployment(o: ServingOptions): Promise<Deployment | undefined> {
  if (o.deployment === undefined) return undefined;
  if (typeof o.deployment === 'string') return loadDeploymentFile(o.deployment);
  return parseDeployment(o.deployment);
}

async function loadServed(o: ServingOptions, metrics: () => ServingMetrics | undefined): Promise<Served> {
  const dep = await toDeployment(o);
  const batching: BatchingOptions = {
    ...DEFAULTS,
    ...stripUndefined(dep?.batching ?? {}),
    ...stripUndefined(pickBatching(o)),
  };
  const trackingUri = dep?.trackingUri ?? o.trackingUri;
  const loader = new ModelLoader({ ...o, ...(trackingUri ? { trackingUri } : {}) });
  const onBatch = (rows: number) => metrics()?.observeBatch(rows);
  const loaded: Array<{ spec: { name: string; model: string; weight: number }; l: Loaded }> = [];
  const release = async () => {
    await Promise.allSettled(loaded.map((x) => x.l.release()));
    await loader.close();
  };
  try {
    if (dep) {
      const specs = dep.shadow
        ? [
            ...dep.routes,
            { name: `shadow:${dep.shadow.name ?? 'shadow'}`, model: dep.shadow.model, weight: 0 },
          ]
        : dep.routes;
      const all = await Promise.all(specs.map((spec) => loader.load(spec.model)));
      specs.forEach((spec, i) => {
        loaded.push({ spec, l: all[i]! });
      });
    } else if (o.model) {
      const uri = o.modelUri ?? o.modelDir ?? 'memory';
      const mv = o.model.modelVersion;
      const id = { uri, name: mv?.name ?? 'model', ...(mv ? { version: String(mv.version) } : {}) };
      loaded.push({
        spec: { name: 'main', model: uri, weight: 1 },
        l: { model: o.model, id, release: async () => {} },
      });
    } else if (o.modelDir) {
      const model = await loadModel(o.modelDir, { allowCode: o.allowCode ?? false });
      const id = { uri: o.modelDir, name: 'model' };
      loaded.push({
        spec: { name: 'main', model: o.modelDir, weight: 1 },
        l: { model, id, release: () => model.close() },
      });
    } else if (o.modelUri) {
      loaded.push({ spec: { name: 'main', model: o.modelUri, weight: 1 }, l: await loader.load(o.modelUri) });
    } else {
      throw new CairnError(
        'INVALID_PARAMETER_VALUE',
        'Serving needs a deployment, model, modelDir or modelUri',
      );
    }
  } catch (e) {
    await release();
    throw e;
  }
  const all = loaded.map(
    ({ spec, l }) =>
      new Route(spec.name, spec.model, spec.weight, batching, onBatch, l.model, l.id, l.release),
  );
  const routes = dep ? all.slice(0, dep.routes.length) : all;
  const shadowRoute = dep?.shadow ? all[all.length - 1] : undefined;
  const name = o.modelName ?? routes[0]!.id.name;
  const served: Served = {
    routes,
    loader,
    name,
    batching,
    ...(shadowRoute && dep?.shadow
      ? { shadow: { name: shadowRoute.name, route: shadowRoute, fraction: dep.shadow.fraction } }
      : {}),
    ...(dep?.sticky ? { stickyHeader: dep.sticky.header } : {}),
  };
  // Hot reload for routes that follow an alias, a stage or `latest` in the registry.
  if (
    !o.model &&
    all.some((r) => !o.models?.[r.uri] && parseModelUri(r.uri).kind !== 'local' && r.uri !== 'memory')
  ) {
    const following = all.filter((r) => !o.models?.[r.uri]);
    const interval = dep?.reloadIntervalMs ?? o.reloadIntervalMs;
    const reloader = new Reloader(following, {
      client: await loader.getClient(),
      ...(interval ? { intervalMs: interval } : {}),
      load: (route, version) =>
        loader.load(`models:/${encodeURIComponent(route.id.name)}/${version}`, {
          uri: route.uri,
          name: route.id.name,
        }),
      onReload: (route) => metrics()?.observeReload(route.name),
    });
    try {
      await reloader.start();
    } catch (e) {
      await reloader.close();
      await Promise.allSettled(all.map((r) => r.close()));
      await loader.close();
      throw e;
    }
    served.reloader = reloader;
  }
  return served;
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

const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

/** Shadow: score the same input on the shadow model, compare, record; never answers the caller. */
function runShadow(
  served: Served,
  metrics: ServingMetrics,
  sink: InferenceSink | undefined,
  st: RequestState,
): void {
  const shadow = served.shadow!;
  const started = performance.now();
  const inputs = st.inputs!;
  shadow.route.predict(inputs, st.params).then(
    ({ out, id }) => {
      const main = formatPredictions(st.outputs!) as unknown[];
      const other = formatPredictions(out) as unknown[];
      let equal = 0;
      for (let i = 0; i < main.length; i++) if (JSON.stringify(main[i]) === JSON.stringify(other[i])) equal++;
      metrics.observeShadow(shadow.name, 'equal', equal);
      metrics.observeShadow(shadow.name, 'different', main.length - equal);
      sink?.record({
        requestId: st.requestId,
        time: st.time,
        route: shadow.name,
        modelUri: id.uri,
        ...(id.version ? { modelVersion: id.version } : {}),
        inputs: inputs.toRecords(),
        outputs: out.toRecords(),
        latencyMs: performance.now() - started,
        status: 200,
      });
    },
    () => metrics.observeShadow(shadow.name, 'error', inputs.length),
  );
}

/** Builds the scoring app for loaded routes (no listening). */
function buildApp(
  served: Served,
  metrics: ServingMetrics,
  admission: Admission,
  o: ServingOptions & BatchingOptions,
): FastifyInstance {
  const router = new Router(served.routes, rngFromSeed(o.seed));
  const shadowRng = rngFromSeed(o.seed === undefined ? undefined : o.seed + 1);
  let closing = false;
  const ctx: ServingContext = {
    router,
    name: served.name,
    ...(served.stickyHeader ? { stickyHeader: served.stickyHeader } : {}),
    state: new WeakMap(),
    admission,
    metrics,
    timeoutMs: o.timeoutMs,
    ready: () => !closing,
  };
  const app = Fastify({
    logger: o.logger ? { level: 'info' } : false,
    bodyLimit: o.bodyLimit ?? 32 * 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
  });
  // Only JSON and CSV bodies are read; anything else is refused unread with 415.
  // Fastify's own JSON parser (prototype-poisoning protection) is kept; every other one goes.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    parseJson(req, body as string, (err, parsed) => {
      if (err) done(new CairnError('BAD_REQUEST', 'Malformed JSON request body.'), undefined);
      else done(null, parsed);
    });
  });
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.setErrorHandler(servingErrorHandler);
  app.setNotFoundHandler(notFoundHandler);
  // Draining: answers still in flight close their connection, so close() need not wait on keep-alive.
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (req) => {
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    ctx.state.set(req, { requestId, time: Date.now() });
  });
  app.addHook('onSend', async (req, reply, payload) => {
    if (closing) void reply.header('connection', 'close');
    const st = ctx.state.get(req);
    const route = st?.route ?? served.routes[0]!;
    const id = st?.id ?? route.id;
    void reply.header('x-cairn-route', route.name);
    void reply.header('x-cairn-model-uri', id.uri);
    if (id.version) void reply.header('x-cairn-model-version', id.version);
    if (st) void reply.header('x-request-id', st.requestId);
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    metrics.observeRequest(req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    const st = ctx.state.get(req);
    if (!st?.route || !st.inputs) return;
    const id = st.id ?? st.route.id;
    o.sink?.record({
      requestId: st.requestId,
      time: st.time,
      route: st.route.name,
      modelUri: id.uri,
      ...(id.version ? { modelVersion: id.version } : {}),
      inputs: st.inputs.toRecords(),
      outputs: st.outputs ? st.outputs.toRecords() : [],
      latencyMs: reply.elapsedTime,
      status: reply.statusCode,
    });
    if (served.shadow && st.outputs && shadowRng() < served.shadow.fraction)
      runShadow(served, metrics, o.sink, st);
  });
  void app.register(servingRoutes(ctx));
  return app;
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

async function closeServed(served: Served): Promise<void> {
  await served.reloader?.close();
  await Promise.allSettled(
    [...served.routes, ...(served.shadow ? [served.shadow.route] : [])].map((r) => r.close()),
  );
  await served.loader.close();
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
  const { served, metrics, admission, o } = await prepare(log ? { ...options, sink: log } : options);
  let app: FastifyInstance;
  try {
    app = buildApp(served, metrics, admission, o);
    // Labels for logged requests; when sampling, a caller cannot know which requests were kept.
    if (log)
      await app.register(
        feedbackRoutes(new FeedbackStore(log.handle, { log, allowUnknown: sampleRate < 1 })),
      );
    await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8080 });
  } catch (e) {
    await closeServed(served);
    await log?.close();
    throw e;
  }
  const addr = app.server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    app,
    id: { ...served.routes[0]!.id },
    routes: served.routes,
    close: async () => {
      await app.close();
      await closeServed(served);
      await log?.close(); // after the drain, so every answered request is written
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
