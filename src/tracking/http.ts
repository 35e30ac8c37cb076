import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CairnError } from '../core/errors.js';
import { parseRequest, wire } from '../server/request.js';
import { listScope } from '../server/visibility.js';
import { historyBulkInterval } from './metric-sampling.js';
import type { TrackingService } from './service.js';
import { type Metric, RUN_STATUSES, VIEW_TYPES, type ViewType } from './types.js';
import {
  doubleFromWire,
  experimentToWire,
  int64FromWire,
  metricToWire,
  runInfoToWire,
  runToWire,
} from './wire.js';

/** MLflow's tracking REST routes, registered under a prefix such as `/api/2.0/mlflow`. */
export function trackingRoutes(service: TrackingService) {
  return async function register(app: FastifyInstance): Promise<void> {
    const input = (req: FastifyRequest): unknown => (req.method === 'GET' ? req.query : req.body);

    // ---- experiments ----
    app.post('/experiments/create', async (req) => {
      const b = parseRequest(
        z.object({
          name: wire.string,
          artifact_location: z.string().optional(),
          tags: wire.keyValues.optional(),
        }),
        req.body,
      );
      const id = await service.createExperiment({
        name: b.name,
        ...(b.artifact_location ? { artifactLocation: b.artifact_location } : {}),
        tags: b.tags ?? [],
      });
      return { experiment_id: id };
    });

    app.get('/experiments/get', async (req) => {
      const q = parseRequest(z.object({ experiment_id: wire.id }), req.query);
      return { experiment: experimentToWire(await service.getExperiment(q.experiment_id)) };
    });

    app.get('/experiments/get-by-name', async (req) => {
      const q = parseRequest(z.object({ experiment_name: wire.string }), req.query);
      return { experiment: experimentToWire(await service.getExperimentByName(q.experiment_name)) };
    });

    const searchExperiments = async (req: FastifyRequest) => {
      const b = parseRequest(
        z.object({
          max_results: wire.int32.optional(),
          page_token: z.string().optional(),
          filter: z.string().optional(),
          order_by: wire.stringList.optional(),
          view_type: viewType.optional(),
        }),
        input(req),
      );
      const page = await service.searchExperiments({
        ...(b.filter !== undefined ? { filter: b.filter } : {}),
        ...(b.order_by ? { orderBy: b.order_by } : {}),
        ...(b.view_type ? { viewType: b.view_type } : {}),
        ...(b.max_results !== undefined ? { maxResults: b.max_results } : {}),
        ...(b.page_token ? { pageToken: b.page_token } : {}),
        ...visibleExperiments(req),
      });
      return pageToWire('experiments', page.items.map(experimentToWire), page.nextPageToken);
    };
    app.post('/experiments/search', searchExperiments);
    app.get('/experiments/search', searchExperiments);
    // MLflow 1.x's list endpoint, still called by older clients (e.g. the `mlflow` npm package).
    app.get('/experiments/list', async (req) => {
      const q = parseRequest(z.object({ view_type: viewType.optional() }), req.query);
      const page = await service.searchExperiments({
        ...(q.view_type ? { viewType: q.view_type } : {}),
        maxResults: 50_000,
        ...visibleExperiments(req),
      });
      return pageToWire('experiments', page.items.map(experimentToWire), undefined);
    });

    app.post('/experiments/update', async (req) => {
      const b = parseRequest(z.object({ experiment_id: wire.id, new_name: wire.string }), req.body);
      await service.renameExperiment(b.experiment_id, b.new_name);
      return {};
    });
    app.post('/experiments/delete', async (req) => {
      await service.deleteExperiment(
        parseRequest(z.object({ experiment_id: wire.id }), req.body).experiment_id,
      );
      return {};
    });
    app.post('/experiments/restore', async (req) => {
      await service.restoreExperiment(
        parseRequest(z.object({ experiment_id: wire.id }), req.body).experiment_id,
      );
      return {};
    });
    app.post('/experiments/set-experiment-tag', async (req) => {
      const b = parseRequest(
        z.object({ experiment_id: wire.id, key: wire.string, value: scalarString }),
        req.body,
      );
      await service.setExperimentTag(b.experiment_id, b.key, b.value);
      return {};
    });
    app.post('/experiments/delete-experiment-tag', async (req) => {
      const b = parseRequest(z.object({ experiment_id: wire.id, key: wire.string }), req.body);
      await service.deleteExperimentTag(b.experiment_id, b.key);
      return {};
    });

    // ---- runs ----
    app.post('/runs/create', async (req) => {
      const b = parseRequest(
        z.object({
          experiment_id: wire.id.optional(),
          user_id: z.string().optional(),
          run_name: z.string().optional(),
          start_time: wire.int64.optional(),
          tags: wire.keyValues.optional(),
        }),
        req.body,
      );
      const run = await service.createRun({
        ...(b.experiment_id !== undefined ? { experimentId: b.experiment_id } : {}),
        ...(b.user_id !== undefined ? { userId: b.user_id } : {}),
        ...(b.run_name ? { runName: b.run_name } : {}),
        ...(b.start_time !== undefined ? { startTime: b.start_time } : {}),
        tags: b.tags ?? [],
      });
      return { run: runToWire(run) };
    });

    app.post('/runs/update', async (req) => {
      const b = parseRequest(
        runRef.extend({
          status: z.enum(RUN_STATUSES).optional(),
          end_time: wire.int64.optional(),
          run_name: z.string().optional(),
        }),
        req.body,
      );
      const info = await service.updateRun(runIdOf(b), {
        ...(b.status ? { status: b.status } : {}),
        ...(b.end_time !== undefined ? { endTime: b.end_time } : {}),
        ...(b.run_name ? { runName: b.run_name } : {}),
      });
      return { run_info: runInfoToWire(info) };
    });
    app.post('/runs/delete', async (req) => {
      await service.deleteRun(runIdOf(parseRequest(runRef, req.body)));
      return {};
    });
    app.post('/runs/restore', async (req) => {
      await service.restoreRun(runIdOf(parseRequest(runRef, req.body)));
      return {};
    });
    app.get('/runs/get', async (req) => {
      return { run: runToWire(await service.getRun(runIdOf(parseRequest(runRef, req.query)))) };
    });

    app.post('/runs/log-metric', async (req) => {
      const b = parseRequest(runRef.extend({ key: wire.string }), req.body);
      const [metric] = parseMetrics([req.body]);
      await service.logMetric(runIdOf(b), metric!);
      return {};
    });
    app.post('/runs/log-parameter', async (req) => {
      const b = parseRequest(runRef.extend({ key: wire.string, value: scalarString }), req.body);
      await service.logParam(runIdOf(b), b.key, b.value);
      return {};
    });
    app.post('/runs/set-tag', async (req) => {
      const b = parseRequest(runRef.extend({ key: wire.string, value: scalarString }), req.body);
      await service.setTag(runIdOf(b), b.key, b.value);
      return {};
    });
    app.post('/runs/delete-tag', async (req) => {
      const b = parseRequest(runRef.extend({ key: wire.string }), req.body);
      await service.deleteTag(runIdOf(b), b.key);
      return {};
    });
    app.post('/runs/log-batch', { bodyLimit: 1_000_000 }, async (req) => {
      const b = parseRequest(
        runRef.extend({
          metrics: z.array(z.unknown()).optional(),
          params: z.array(z.object({ key: wire.string, value: scalarString })).optional(),
          tags: z.array(z.object({ key: wire.string, value: scalarString })).optional(),
        }),
        req.body,
      );
      await service.logBatch(runIdOf(b), {
        metrics: parseMetrics(b.metrics ?? []),
        params: b.params ?? [],
        tags: b.tags ?? [],
      });
      return {};
    });
    app.post('/runs/log-inputs', async (req) => {
      const b = parseRequest(
        runRef.extend({
          datasets: z
            .array(
              z.object({
                tags: wire.keyValues.optional(),
                dataset: z.object({
                  name: wire.string,
                  digest: wire.string,
                  source_type: wire.string,
                  source: wire.string,
                  schema: z.string().optional(),
                  profile: z.string().optional(),
                }),
              }),
            )
            .optional(),
        }),
        req.body,
      );
      await service.logInputs(
        runIdOf(b),
        (b.datasets ?? []).map((d) => ({
          tags: d.tags ?? [],
          dataset: {
            name: d.dataset.name,
            digest: d.dataset.digest,
            source_type: d.dataset.source_type,
            source: d.dataset.source,
            ...(d.dataset.schema !== undefined ? { schema: d.dataset.schema } : {}),
            ...(d.dataset.profile !== undefined ? { profile: d.dataset.profile } : {}),
          },
        })),
      );
      return {};
    });

    app.post('/runs/search', async (req) => {
      const b = parseRequest(
        z.object({
          experiment_ids: z.array(wire.id).optional(),
          filter: z.string().optional(),
          run_view_type: viewType.optional(),
          max_results: wire.int32.optional(),
          order_by: wire.stringList.optional(),
          page_token: z.string().optional(),
        }),
        req.body,
      );
      const page = await service.searchRuns({
        experimentIds: b.experiment_ids ?? [],
        ...(b.filter !== undefined ? { filter: b.filter } : {}),
        ...(b.order_by ? { orderBy: b.order_by } : {}),
        ...(b.run_view_type ? { viewType: b.run_view_type } : {}),
        ...(b.max_results !== undefined ? { maxResults: b.max_results } : {}),
        ...(b.page_token ? { pageToken: b.page_token } : {}),
        ...visibleExperiments(req),
      });
      return pageToWire('runs', page.items.map(runToWire), page.nextPageToken);
    });

    app.get('/metrics/get-history-bulk-interval', async (req) => {
      const q = parseRequest(
        z.object({
          run_ids: wire.stringList,
          metric_key: wire.string,
          start_step: wire.int64.optional(),
          end_step: wire.int64.optional(),
          max_results: wire.int32.optional(),
        }),
        req.query,
      );
      const metrics = await historyBulkInterval(service, {
        runIds: q.run_ids,
        key: q.metric_key,
        ...(q.start_step !== undefined ? { startStep: q.start_step } : {}),
        ...(q.end_step !== undefined ? { endStep: q.end_step } : {}),
        ...(q.max_results !== undefined ? { maxResults: q.max_results } : {}),
      });
      return pageToWire(
        'metrics',
        metrics.map((m) => ({ ...metricToWire(m), run_id: m.run_id })),
        undefined,
      );
    });

    app.get('/metrics/get-history', async (req) => {
      const q = parseRequest(
        runRef.extend({
          metric_key: wire.string,
          max_results: wire.int32.optional(),
          page_token: z.string().optional(),
        }),
        req.query,
      );
      const page = await service.getMetricHistory(runIdOf(q), q.metric_key, {
        ...(q.max_results !== undefined ? { maxResults: q.max_results } : {}),
        ...(q.page_token ? { pageToken: q.page_token } : {}),
      });
      return pageToWire('metrics', page.items.map(metricToWire), page.nextPageToken);
    });
  };
}

const scalarString = z.union([z.string(), z.number().transform(String), z.boolean().transform(String)]);

/** The experiments the caller may list, when the permission layer narrowed them. */
function visibleExperiments(req: FastifyRequest) {
  const visible = listScope(req).experiments;
  return visible ? { visible } : {};
}

const runRef = z.object({ run_id: z.string().optional(), run_uuid: z.string().optional() });

function runIdOf(b: { run_id?: string | undefined; run_uuid?: string | undefined }): string {
  const id = b.run_id || b.run_uuid;
  if (!id) throw new CairnError('INVALID_PARAMETER_VALUE', "Missing value for required parameter 'run_id'.");
  return id;
}

const VIEW_TYPE_NUMBERS: Record<string, ViewType> = { '1': 'ACTIVE_ONLY', '2': 'DELETED_ONLY', '3': 'ALL' };
const viewType = z.union([
  z.enum(VIEW_TYPES),
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const t = VIEW_TYPE_NUMBERS[String(v)];
    if (!t) {
      ctx.addIssue({ code: 'custom', message: `expected one of ${VIEW_TYPES.join(', ')}` });
      return z.NEVER;
    }
    return t;
  }),
]);

function pageToWire(field: string, items: unknown[], token: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (items.length > 0) out[field] = items;
  if (token) out['next_page_token'] = token;
  return out;
}

/**
 * Metrics are the hot path of ingest (up to 1000 per log-batch): checked in one tight loop rather
 * than through a schema library. The service then applies the domain rules (keys, limits).
 */
function parseMetrics(raw: unknown[]): Metric[] {
  const out: Metric[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const m = raw[i] as Record<string, unknown> | null;
    const where = `metrics[${i}]`;
    if (m === null || typeof m !== 'object')
      throw new CairnError(
        'INVALID_PARAMETER_VALUE',
        `Invalid value for parameter '${where}': expected an object`,
      );
    const key = m['key'];
    if (typeof key !== 'string') throw missingOrInvalid(`${where}.key`, key);
    const value = doubleFromWire(m['value']);
    if (value === undefined) throw missingOrInvalid(`${where}.value`, m['value']);
    const timestamp = int64FromWire(m['timestamp']);
    if (timestamp === undefined) throw missingOrInvalid(`${where}.timestamp`, m['timestamp']);
    const step = m['step'] === undefined ? 0 : int64FromWire(m['step']);
    if (step === undefined) throw missingOrInvalid(`${where}.step`, m['step']);
    out[i] = { key, value, timestamp, step };
  }
  return out;
}

function missingOrInvalid(field: string, value: unknown): CairnError {
  return new CairnError(
    'INVALID_PARAMETER_VALUE',
    value === undefined
      ? `Missing value for required parameter '${field}'.`
      : `Invalid value ${JSON.stringify(value)} for parameter '${field}' supplied.`,
  );
}
