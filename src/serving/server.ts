import type { AddressInfo } from 'node:net';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { connect } from '../client/connect.js';
import { CairnError } from '../core/errors.js';
import { loadModel } from '../models/model-dir.js';
import { errorHandler, notFoundHandler } from '../server/errors.js';
import { Batcher } from './batcher.js';
import { type ServingContext, servingRoutes } from './http.js';
import { ServingMetrics } from './metrics.js';
import { Admission, OverloadedError } from './queue.js';
import type { BatchingOptions, ModelIdentity, ServableModel } from './types.js';

export interface ServingOptions extends Partial<BatchingOptions> {
  /** A model URI (`models:/fraud@champion`, `runs:/<id>/model`, …), resolved through `trackingUri`. */
  modelUri?: string;
  /** A local model directory. */
  modelDir?: string;
  /** An already-loaded model (a `CairnModel`, or any object with `predict`). */
  model?: ServableModel;
  /** The store or server that resolves `modelUri` (default as `connect()`). */
  trackingUri?: string;
  /** Load flavors that run code from the model directory (`js`). */
  allowCode?: boolean;
  /** The Open Inference Protocol's model name (default: the registered name, or `model`). */
  modelName?: string;
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
  id: ModelIdentity;
  /** Stops accepting connections, answers the requests in flight, then unloads the model. */
  close(): Promise<void>;
}

const DEFAULTS: BatchingOptions = {
  maxBatchSize: 256,
  maxLatencyMs: 5,
  maxQueue: 1024,
  timeoutMs: 30_000,
  batching: true,
};

async function resolveModel(
  o: ServingOptions,
): Promise<{ model: ServableModel; uri: string; done(): Promise<void> }> {
  if (o.model) return { model: o.model, uri: o.modelUri ?? o.modelDir ?? 'memory', done: async () => {} };
  if (o.modelDir) {
    const model = await loadModel(o.modelDir, { allowCode: o.allowCode ?? false });
    return { model, uri: o.modelDir, done: () => model.close() };
  }
  if (!o.modelUri)
    throw new CairnError('INVALID_PARAMETER_VALUE', 'Serving needs a model, modelDir or modelUri');
  const client = await connect(o.trackingUri);
  try {
    const model = await client.loadModel(o.modelUri, { allowCode: o.allowCode ?? false });
    return {
      model,
      uri: o.modelUri,
      done: async () => {
        await model.close();
        await client.close();
      },
    };
  } catch (e) {
    await client.close();
    throw e;
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

/** Builds the scoring app for a loaded model (no listening). */
export async function buildServingApp(
  model: ServableModel,
  id: ModelIdentity,
  options: Partial<BatchingOptions> & { bodyLimit?: number; logger?: boolean } = {},
): Promise<FastifyInstance> {
  const o = { ...DEFAULTS, ...stripUndefined(options) };
  const admission = new Admission(o.maxQueue);
  let batcher: Batcher | undefined;
  const labels = { model: id.name, version: id.version ?? '' };
  const metrics = new ServingMetrics(labels, () => ({
    requests: admission.depth,
    rows: batcher?.queuedRows ?? 0,
  }));
  if (o.batching) {
    batcher = new Batcher((f, p) => model.predict(f, p), {
      maxBatchSize: o.maxBatchSize,
      maxLatencyMs: o.maxLatencyMs,
      onBatch: (rows) => metrics.observeBatch(rows),
    });
  }
  const ctx: ServingContext = {
    model,
    id,
    admission,
    metrics,
    timeoutMs: o.timeoutMs,
    predict: batcher
      ? (f, p, d) => batcher.predict(f, p, d)
      : (f, p) => {
          metrics.observeBatch(f.length);
          return model.predict(f, p);
        },
  };
  const app = Fastify({
    logger: options.logger ? { level: 'info' } : false,
    bodyLimit: options.bodyLimit ?? 32 * 1024 * 1024,
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
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    if (closing) void reply.header('connection', 'close');
    void reply.header('x-cairn-model-uri', id.uri);
    if (id.version) void reply.header('x-cairn-model-version', id.version);
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    metrics.observeRequest(req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
  await app.register(servingRoutes(ctx));
  return app;
}

/** Loads the model, builds the scoring app and listens. */
export async function startServing(options: ServingOptions): Promise<ServingHandle> {
  const { model, uri, done } = await resolveModel(options);
  const mv = model.modelVersion;
  const id: ModelIdentity = {
    uri,
    name: options.modelName ?? mv?.name ?? 'model',
    ...(mv ? { version: String(mv.version) } : {}),
  };
  let app: FastifyInstance;
  try {
    app = await buildServingApp(model, id, options);
    await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8080 });
  } catch (e) {
    await done();
    throw e;
  }
  const addr = app.server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    app,
    id,
    close: async () => {
      await app.close();
      await done();
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
