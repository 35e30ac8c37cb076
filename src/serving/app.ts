import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { installAuth } from '../auth/install.js';
import type { ServerAuth } from '../auth/server-auth.js';
import { CairnError } from '../core/errors.js';
import { randomFor } from '../core/random.js';
import { errorHandler, notFoundHandler } from '../server/errors.js';
import {
  type HardeningOptions,
  hardenedServerOptions,
  installHardening,
  SCORING_JSON_LIMITS,
} from '../server/hardening.js';
import { RequestSlot } from '../server/request-slot.js';
import { servingRules } from './auth.js';
import { formatPredictions, type RequestState, type ServingContext, servingRoutes } from './http.js';
import type { ServingMetrics } from './metrics.js';
import { type Admission, OverloadedError } from './queue.js';
import { Router } from './routing.js';
import type { Served } from './served.js';
import type { BatchingOptions, InferenceSink } from './types.js';

/** What the app reads of the serving options. */
export interface AppOptions extends BatchingOptions {
  seed?: number;
  sink?: InferenceSink;
  bodyLimit?: number;
  logger?: boolean;
  /** Allowed hosts and CORS, as for every Cairn server (JSON limits are the scoring server's). */
  hardening?: Omit<HardeningOptions, 'json'>;
  /** Credentials and permissions (`cairn serve --auth`); every route needs a rule (servingRules). */
  auth?: ServerAuth;
}

/** The registered models a deployment serves (routes and shadow), for the permission checks. */
function registeredModelsOf(served: Served): string[] {
  const routes = [...served.routes, ...(served.shadow ? [served.shadow.route] : [])];
  return [...new Set(routes.flatMap((r) => (r.id.version === undefined ? [] : [r.id.name])))];
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
export function buildApp(
  served: Served,
  metrics: ServingMetrics,
  admission: Admission,
  o: AppOptions,
): FastifyInstance {
  const router = new Router(served.routes, randomFor(o.seed));
  const shadowRng = randomFor(o.seed === undefined ? undefined : o.seed + 1);
  let closing = false;
  const ctx: ServingContext = {
    router,
    name: served.name,
    ...(served.stickyHeader ? { stickyHeader: served.stickyHeader } : {}),
    state: new RequestSlot<RequestState>('cairn.serving.requestState'),
    admission,
    metrics,
    timeoutMs: o.timeoutMs,
    ready: () => !closing,
  };
  const app = Fastify({
    ...hardenedServerOptions(servingErrorHandler),
    logger: o.logger ? { level: 'info' } : false,
    bodyLimit: o.bodyLimit ?? 32 * 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
  });
  // Only JSON and CSV bodies are read; anything else is refused unread with 415. The hardening's
  // JSON parser (depth and key limits, no prototype keys) replaces Fastify's.
  ctx.state.install(app);
  app.removeAllContentTypeParsers();
  installHardening(app, { ...o.hardening, json: SCORING_JSON_LIMITS });
  // Before any route: the guard sees each route as it is added and refuses one without a rule.
  if (o.auth)
    installAuth(app, {
      auth: o.auth.auth,
      access: o.auth.access,
      rules: servingRules(registeredModelsOf(served)),
    });
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.setErrorHandler(servingErrorHandler);
  app.setNotFoundHandler(notFoundHandler);
  // Draining: answers still in flight close their connection, so close() need not wait on keep-alive.
  app.addHook('preClose', async () => {
    closing = true;
  });
  // The per-request hooks take callbacks: an async hook costs a promise and a tick per request.
  app.addHook('onRequest', (req, _reply, done) => {
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    ctx.state.set(req, { requestId, time: Date.now() });
    done();
  });
  app.addHook('onSend', (req, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    const st = ctx.state.get(req);
    const route = st?.route ?? served.routes[0]!;
    const id = st?.id ?? route.id;
    void reply.header('x-cairn-route', route.name);
    void reply.header('x-cairn-model-uri', id.uri);
    if (id.version) void reply.header('x-cairn-model-version', id.version);
    if (st) void reply.header('x-request-id', st.requestId);
    done(null, payload);
  });
  app.addHook('onResponse', (req, reply, done) => {
    metrics.observeRequest(req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    const st = ctx.state.get(req);
    // A request refused as malformed (4xx, e.g. a column the model lacks) is not logged.
    const refused = reply.statusCode >= 400 && reply.statusCode < 500;
    if (st?.route && st.inputs && !refused) record(st, reply.elapsedTime, reply.statusCode);
    done();
  });
  const record = (st: RequestState, latencyMs: number, status: number) => {
    const id = st.id ?? st.route!.id;
    o.sink?.record({
      requestId: st.requestId,
      time: st.time,
      route: st.route!.name,
      modelUri: id.uri,
      ...(id.version ? { modelVersion: id.version } : {}),
      inputs: st.inputs!.toRecords(),
      outputs: st.outputs ? st.outputs.toRecords() : [],
      latencyMs,
      status,
    });
    if (served.shadow && st.outputs && shadowRng() < served.shadow.fraction)
      runShadow(served, metrics, o.sink, st);
  };
  void app.register(servingRoutes(ctx));
  return app;
}
