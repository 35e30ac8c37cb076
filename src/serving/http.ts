import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CairnError } from '../core/errors.js';
import type { Frame } from '../core/frame.js';
import { parseMlflowJson } from '../models/json-input.js';
import type { RequestSlot } from '../server/request-slot.js';
import { VERSION } from '../version.js';
import { frameFromCsv } from './csv.js';
import type { ServingMetrics } from './metrics.js';
import { frameFromV2, modelMetadata, v2Outputs } from './oip.js';
import { type Admission, withDeadline } from './queue.js';
import type { Route, Router } from './routing.js';
import type { ModelIdentity } from './types.js';

/** What one request scored: kept from the handler to the response hooks (headers, log, shadow). */
export interface RequestState {
  requestId: string;
  time: number;
  route?: Route;
  id?: ModelIdentity;
  inputs?: Frame;
  params?: Record<string, unknown> | undefined;
  outputs?: Frame;
}

export interface ServingContext {
  router: Router;
  /** The name the Open Inference Protocol routes answer to. */
  name: string;
  /** Header whose value pins a caller to one route (lower case). */
  stickyHeader?: string;
  /** Each request's state, from the onRequest hook to the response hooks. */
  state: RequestSlot<RequestState>;
  admission: Admission;
  metrics: ServingMetrics;
  timeoutMs: number;
  ready(): boolean;
}

const JSON_TYPE = /^application\/json\b/i;
const CSV_TYPE = /^text\/csv\b/i;

/** MLflow's reply: a list of values for one output column, a list of records for several. */
export function formatPredictions(out: Frame): unknown {
  if (out.columns.length === 1) {
    const name = out.columns[0]!.name;
    return Array.from({ length: out.length }, (_, r) => out.value(name, r));
  }
  return out.toRecords();
}

/** Scores on `route`, or on the route the router picks for this request; records what answered. */
async function score(
  ctx: ServingContext,
  req: FastifyRequest,
  frame: Frame,
  params?: Record<string, unknown>,
  route?: Route,
): Promise<{ out: Frame; id: ModelIdentity }> {
  ctx.admission.enter();
  try {
    let chosen = route;
    if (!chosen) {
      const sticky = ctx.stickyHeader ? req.headers[ctx.stickyHeader] : undefined;
      chosen = ctx.router.pick(typeof sticky === 'string' && sticky !== '' ? sticky : undefined);
    }
    const state = ctx.state.get(req);
    if (state) {
      state.route = chosen;
      state.inputs = frame;
      state.params = params;
    }
    const answer = await withDeadline(ctx.timeoutMs, (deadline) => chosen.predict(frame, params, deadline));
    if (state) {
      state.id = answer.id;
      state.outputs = answer.out;
    }
    ctx.metrics.observeRoute(chosen.name, answer.id.version);
    return answer;
  } finally {
    ctx.admission.leave();
  }
}

/** The scoring routes: MLflow's protocol, the Open Inference Protocol v2, health and metrics. */
export function servingRoutes(ctx: ServingContext) {
  return async (app: FastifyInstance): Promise<void> => {
    const primary = () => ctx.router.routes[0]!;
    app.get('/ping', async (_req, reply) => reply.status(200).send());
    app.get('/health', async (_req, reply) => reply.type('text/plain').send('OK'));
    app.get('/version', async (_req, reply) => reply.type('text/plain').send(VERSION));
    app.get('/metrics', async (_req, reply) =>
      reply.type('text/plain; version=0.0.4; charset=utf-8').send(ctx.metrics.render()),
    );

    app.post('/invocations', async (req) => {
      const type = req.headers['content-type'] ?? '';
      let input: { frame: Frame; params?: Record<string, unknown> };
      if (JSON_TYPE.test(type)) input = parseMlflowJson(req.body);
      else if (CSV_TYPE.test(type)) input = { frame: frameFromCsv(req.body as string) };
      else
        throw new CairnError(
          'UNSUPPORTED_MEDIA_TYPE',
          `Unsupported content type '${type}': use application/json or text/csv`,
        );
      const { out } = await score(ctx, req, input.frame, input.params);
      return { predictions: formatPredictions(out) };
    });

    /** The route serving `version` (any route, by the router, when no version is named). */
    const findModel = (name: string, version?: string): Route | undefined => {
      const route =
        version === undefined ? undefined : ctx.router.routes.find((r) => r.id.version === version);
      if (name !== ctx.name || (version !== undefined && !route)) {
        const v = version === undefined ? '' : ` version '${version}'`;
        throw new CairnError('RESOURCE_DOES_NOT_EXIST', `No model '${name}'${v} is served here`);
      }
      return route;
    };
    app.get('/v2', async () => ({ name: 'cairn', version: VERSION, extensions: [] }));
    app.get('/v2/health/live', async () => ({ live: true }));
    app.get('/v2/health/ready', async (_req, reply) =>
      ctx.ready() ? { ready: true } : reply.status(503).send({ ready: false }),
    );
    type P = { name: string; version?: string };
    for (const suffix of ['', '/versions/:version']) {
      app.get<{ Params: P }>(`/v2/models/:name${suffix}`, async (req) => {
        const r = findModel(req.params.name, req.params.version) ?? primary();
        const meta = modelMetadata({ ...r.id, name: ctx.name }, r.model.flavor, r.model.signature);
        const versions = new Set(ctx.router.routes.flatMap((x) => (x.id.version ? [x.id.version] : [])));
        return req.params.version ? meta : { ...meta, versions: [...versions] };
      });
      app.get<{ Params: P }>(`/v2/models/:name${suffix}/ready`, async (req) => {
        findModel(req.params.name, req.params.version);
        return { name: ctx.name, ready: ctx.ready() };
      });
      app.post<{ Params: P }>(`/v2/models/:name${suffix}/infer`, async (req) => {
        const route = findModel(req.params.name, req.params.version);
        if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) {
          throw new CairnError('UNSUPPORTED_MEDIA_TYPE', 'Infer requests must be application/json');
        }
        const body = req.body as { id?: unknown; parameters?: Record<string, unknown> } | null;
        // Every route serves the same interface: the primary's signature reads the request.
        const signature = (route ?? primary()).model.signature;
        const frame = frameFromV2(body, signature);
        const params = signature?.params ? body?.parameters : undefined;
        const { out, id } = await score(ctx, req, frame, params, route);
        return {
          model_name: ctx.name,
          ...(id.version ? { model_version: id.version } : {}),
          ...(typeof body?.id === 'string' ? { id: body.id } : {}),
          outputs: v2Outputs(out),
        };
      });
    }
  };
}
