import type { FastifyInstance } from 'fastify';
import { CairnError } from '../core/errors.js';
import type { Frame } from '../core/frame.js';
import { parseMlflowJson } from '../models/json-input.js';
import { VERSION } from '../version.js';
import { frameFromCsv } from './csv.js';
import type { ServingMetrics } from './metrics.js';
import { frameFromV2, modelMetadata, v2Outputs } from './oip.js';
import { type Admission, type Deadline, withDeadline } from './queue.js';
import type { ModelIdentity, ServableModel } from './types.js';

export interface ServingContext {
  model: ServableModel;
  id: ModelIdentity;
  /** The model's predict, through the batcher when batching is on. */
  predict(frame: Frame, params: Record<string, unknown> | undefined, deadline: Deadline): Promise<Frame>;
  admission: Admission;
  metrics: ServingMetrics;
  timeoutMs: number;
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

async function score(ctx: ServingContext, frame: Frame, params?: Record<string, unknown>): Promise<Frame> {
  ctx.admission.enter();
  try {
    return await withDeadline(ctx.timeoutMs, (deadline) => ctx.predict(frame, params, deadline));
  } finally {
    ctx.admission.leave();
  }
}

/** The scoring routes: MLflow's protocol, the Open Inference Protocol v2, health and metrics. */
export function servingRoutes(ctx: ServingContext) {
  return async (app: FastifyInstance): Promise<void> => {
    const { id, model } = ctx;
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
      const out = await score(ctx, input.frame, input.params);
      return { predictions: formatPredictions(out) };
    });

    const findModel = (name: string, version?: string) => {
      if (name !== id.name || (version !== undefined && version !== id.version)) {
        const v = version === undefined ? '' : ` version '${version}'`;
        throw new CairnError('RESOURCE_DOES_NOT_EXIST', `No model '${name}'${v} is served here`);
      }
    };
    app.get('/v2', async () => ({ name: 'cairn', version: VERSION, extensions: [] }));
    app.get('/v2/health/live', async () => ({ live: true }));
    app.get('/v2/health/ready', async () => ({ ready: true }));
    type P = { name: string; version?: string };
    for (const suffix of ['', '/versions/:version']) {
      app.get<{ Params: P }>(`/v2/models/:name${suffix}`, async (req) => {
        findModel(req.params.name, req.params.version);
        return modelMetadata(id, model.flavor, model.signature);
      });
      app.get<{ Params: P }>(`/v2/models/:name${suffix}/ready`, async (req) => {
        findModel(req.params.name, req.params.version);
        return { name: id.name, ready: true };
      });
      app.post<{ Params: P }>(`/v2/models/:name${suffix}/infer`, async (req) => {
        findModel(req.params.name, req.params.version);
        if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) {
          throw new CairnError('UNSUPPORTED_MEDIA_TYPE', 'Infer requests must be application/json');
        }
        const body = req.body as { id?: unknown; parameters?: Record<string, unknown> } | null;
        const frame = frameFromV2(body, model.signature);
        const out = await score(ctx, frame, model.signature?.params ? body?.parameters : undefined);
        return {
          model_name: id.name,
          ...(id.version ? { model_version: id.version } : {}),
          ...(typeof body?.id === 'string' ? { id: body.id } : {}),
          outputs: v2Outputs(out),
        };
      });
    }
  };
}
