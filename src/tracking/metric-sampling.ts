import { CairnError } from '../core/errors.js';
import type { TrackingService } from './service.js';
import type { Metric } from './types.js';

export interface BulkIntervalQuery {
  runIds: string[];
  key: string;
  startStep?: number;
  endStep?: number;
  maxResults?: number;
}

export type RunMetric = Metric & { run_id: string };

/** MLflow's limits for metrics/get-history-bulk-interval. */
export const BULK_INTERVAL_LIMITS = { runs: 100, defaultResults: 320, maxResults: 1000 } as const;

/**
 * A metric's history across runs, sampled for charts (MLflow's get-history-bulk-interval): per
 * run, at most `maxResults` steps evenly spread over [startStep, endStep], always keeping the
 * first and last step, with every point logged at the kept steps.
 */
export async function historyBulkInterval(
  service: TrackingService,
  q: BulkIntervalQuery,
): Promise<RunMetric[]> {
  if (q.runIds.length === 0 || q.runIds.length > BULK_INTERVAL_LIMITS.runs) {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `GetMetricHistoryBulkInterval takes between 1 and ${BULK_INTERVAL_LIMITS.runs} run_ids; got ${q.runIds.length}.`,
    );
  }
  const maxResults = q.maxResults ?? BULK_INTERVAL_LIMITS.defaultResults;
  if (!Number.isSafeInteger(maxResults) || maxResults < 1 || maxResults > BULK_INTERVAL_LIMITS.maxResults) {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `max_results must be between 1 and ${BULK_INTERVAL_LIMITS.maxResults}.`,
    );
  }
  if (q.startStep !== undefined && q.endStep !== undefined && q.startStep > q.endStep) {
    throw new CairnError('INVALID_PARAMETER_VALUE', 'end_step must be greater than or equal to start_step.');
  }
  const out: RunMetric[] = [];
  for (const runId of q.runIds) {
    const points = (await allPoints(service, runId, q.key)).filter(
      (m) =>
        (q.startStep === undefined || m.step >= q.startStep) &&
        (q.endStep === undefined || m.step <= q.endStep),
    );
    const steps = [...new Set(points.map((m) => m.step))].sort((a, b) => a - b);
    const kept = new Set(sampleEvenly(steps, maxResults));
    for (const m of points) if (kept.has(m.step)) out.push({ ...m, run_id: runId });
  }
  return out;
}

async function allPoints(service: TrackingService, runId: string, key: string): Promise<Metric[]> {
  const points: Metric[] = [];
  let token: string | undefined;
  do {
    const page = await service.getMetricHistory(runId, key, token ? { pageToken: token } : {});
    points.push(...page.items);
    token = page.nextPageToken;
  } while (token);
  return points;
}

/** Up to `n` values from sorted `steps`, evenly spaced by index, first and last always included. */
export function sampleEvenly(steps: number[], n: number): number[] {
  if (steps.length <= n) return steps;
  if (n === 1) return [steps[steps.length - 1]!];
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(steps[Math.round((i * (steps.length - 1)) / (n - 1))]!);
  return [...new Set(out)];
}
