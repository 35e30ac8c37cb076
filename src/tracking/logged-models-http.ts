import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseRequest, wire } from '../server/request.js';
import { listScope } from '../server/visibility.js';
import type { LoggedModelService } from './logged-models-service.js';
import { loggedModelStatusFromWire, loggedModelToWire } from './logged-models-wire.js';

/**
 * MLflow 3's logged-model routes and `runs/outputs`, registered under a prefix such as
 * `/api/2.0/mlflow` (beside trackingRoutes). Ids in the path win over ids repeated in the body.
 */
export function loggedModelRoutes(service: LoggedModelService) {
  return async function register(app: FastifyInstance): Promise<void> {
    app.post('/logged-models', async (req) => {
      const b = parseRequest(
        z.object({
          experiment_id: wire.id,
          name: z.string().optional(),
          model_type: z.string().optional(),
          source_run_id: z.string().optional(),
          params: keyValues.optional(),
          tags: keyValues.optional(),
        }),
        req.body,
      );
      const model = await service.createLoggedModel({
        experimentId: b.experiment_id,
        // protobuf JSON writes no field for an unset name; an empty one means unset too.
        ...(b.name ? { name: b.name } : {}),
        ...(b.model_type ? { modelType: b.model_type } : {}),
        ...(b.source_run_id ? { sourceRunId: b.source_run_id } : {}),
        params: b.params ?? [],
        tags: b.tags ?? [],
      });
      return { model: loggedModelToWire(model) };
    });

    app.post('/logged-models/search', async (req) => {
      const b = parseRequest(
        z.object({
          experiment_ids: z.array(wire.id).optional(),
          filter: z.string().optional(),
          datasets: z
            .array(z.object({ dataset_name: z.string().optional(), dataset_digest: z.string().optional() }))
            .optional(),
          max_results: wire.int32.optional(),
          order_by: z
            .array(
              z.object({
                field_name: z.string().optional(),
                ascending: z.boolean().optional(),
                dataset_name: z.string().optional(),
                dataset_digest: z.string().optional(),
              }),
            )
            .optional(),
          page_token: z.string().optional(),
        }),
        req.body,
      );
      const page = await service.searchLoggedModels({
        experimentIds: b.experiment_ids ?? [],
        ...(b.filter !== undefined ? { filter: b.filter } : {}),
        ...(b.datasets
          ? {
              datasets: b.datasets.map((d) => ({
                dataset_name: d.dataset_name ?? '',
                ...(d.dataset_digest ? { dataset_digest: d.dataset_digest } : {}),
              })),
            }
          : {}),
        ...(b.order_by
          ? {
              orderBy: b.order_by.map((o) => ({
                field_name: o.field_name ?? '',
                ...(o.ascending !== undefined ? { ascending: o.ascending } : {}),
                ...(o.dataset_name ? { dataset_name: o.dataset_name } : {}),
                ...(o.dataset_digest ? { dataset_digest: o.dataset_digest } : {}),
              })),
            }
          : {}),
        ...(b.max_results !== undefined ? { maxResults: b.max_results } : {}),
        ...(b.page_token ? { pageToken: b.page_token } : {}),
        ...(listScope(req).experiments ? { visible: listScope(req).experiments! } : {}),
      });
      const out: Record<string, unknown> = {};
      if (page.items.length > 0) out['models'] = page.items.map(loggedModelToWire);
      if (page.nextPageToken) out['next_page_token'] = page.nextPageToken;
      return out;
    });

    app.get<{ Params: ModelParams }>('/logged-models/:model_id', async (req) => {
      return { model: loggedModelToWire(await service.getLoggedModel(req.params.model_id)) };
    });

    app.patch<{ Params: ModelParams }>('/logged-models/:model_id', async (req) => {
      const b = parseRequest(z.object({ status: status }), req.body);
      return { model: loggedModelToWire(await service.finalizeLoggedModel(req.params.model_id, b.status)) };
    });

    app.delete<{ Params: ModelParams }>('/logged-models/:model_id', async (req) => {
      await service.deleteLoggedModel(req.params.model_id);
      return {};
    });

    app.patch<{ Params: ModelParams }>('/logged-models/:model_id/tags', async (req) => {
      const b = parseRequest(z.object({ tags: keyValues.optional() }), req.body);
      return {
        model: loggedModelToWire(await service.setLoggedModelTags(req.params.model_id, b.tags ?? [])),
      };
    });

    // Tag keys may hold slashes (`mlflow.source/…`): take the rest of the path.
    app.delete<{ Params: ModelParams & { '*': string } }>('/logged-models/:model_id/tags/*', async (req) => {
      await service.deleteLoggedModelTag(req.params.model_id, req.params['*']);
      return {};
    });

    app.post<{ Params: ModelParams }>('/logged-models/:model_id/params', async (req) => {
      const b = parseRequest(z.object({ params: keyValues.optional() }), req.body);
      await service.logLoggedModelParams(req.params.model_id, b.params ?? []);
      return {};
    });

    app.post('/runs/outputs', async (req) => {
      const b = parseRequest(
        z.object({
          run_id: z.string(),
          models: z.array(z.object({ model_id: z.string(), step: wire.int64.optional() })),
        }),
        req.body,
      );
      await service.logOutputs(
        b.run_id,
        b.models.map((m) => ({ model_id: m.model_id, step: m.step ?? 0 })),
      );
      return {};
    });
  };
}

type ModelParams = { model_id: string };

/** protobuf JSON string fields: a null is the empty string; numbers and booleans are taken as text. */
const scalarString = z.union([
  z.string(),
  z.number().transform(String),
  z.boolean().transform(String),
  z.null().transform(() => ''),
]);

const keyValues = z.array(
  z.object({ key: z.string(), value: scalarString.optional().transform((v) => v ?? '') }),
);

const status = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const s = loggedModelStatusFromWire(v);
  if (!s) {
    ctx.addIssue({ code: 'custom', message: 'expected LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED' });
    return z.NEVER;
  }
  return s;
});
