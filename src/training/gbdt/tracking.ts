import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Booster } from './booster.js';
import type { IterationMetrics, TrainCallback, TrainInfo } from './types.js';

/** What the callback needs of a run: Cairn's `Run` has both (`src/client/run.ts`). */
export interface MetricsRun {
  logParams(params: Record<string, unknown>): unknown;
  /** Synchronous (buffered), as Run.logMetrics. */
  logMetrics(metrics: Record<string, number>, step: number): unknown;
}

export interface TrackingCallback extends TrainCallback {
  /** Settles when the params (and best-iteration tags) are written; rejects if writing failed. */
  flush(): Promise<void>;
}

/**
 * A training callback that logs the resolved parameters (as XGBoost names them) before training
 * and every round's metrics (`train-logloss`, `validation-logloss`, …) at step = round, as
 * mlflow.xgboost.autolog does; after early stopping, `best_iteration` and `stopped_iteration` too.
 */
export function trackingCallback(run: MetricsRun): TrackingCallback {
  const pending: Promise<unknown>[] = [];
  const keep = (v: unknown) => {
    if (v instanceof Promise) pending.push(v);
  };
  return {
    beforeTraining(info: TrainInfo) {
      const { eval_metric, ...rest } = info.params;
      keep(run.logParams({ ...rest, eval_metric: eval_metric.join(','), num_feature: info.numFeature }));
    },
    afterIteration(iteration: number, metrics: IterationMetrics) {
      if (Object.keys(metrics).length > 0) run.logMetrics(metrics, iteration);
      return false;
    },
    afterTraining({ bestIteration, rounds }) {
      if (bestIteration !== null) {
        run.logMetrics({ best_iteration: bestIteration, stopped_iteration: rounds - 1 }, rounds - 1);
      }
    },
    async flush() {
      await Promise.all(pending);
    },
  };
}

/** What `logBooster` needs of a client: Cairn's `CairnClient.logModel` (`src/client/client.ts`). */
export interface ModelLogger<R, O, T> {
  logModel(run: R, modelFile: string, options?: O): Promise<T>;
}

/**
 * Logs the booster as an MLflow model of the xgboost flavor (its XGBoost JSON as `model.json`)
 * under the run, with the signature and input example options of `client.logModel`
 * (`inferFrom`, `inputExample`, `registeredModelName`, …).
 */
export async function logBooster<R, O extends object, T>(
  client: ModelLogger<R, O, T>,
  run: R,
  booster: Booster,
  options?: O,
): Promise<T> {
  const work = await mkdtemp(path.join(tmpdir(), 'cairn-gbdt-'));
  try {
    const file = path.join(work, 'model.json');
    await writeFile(file, booster.toJSON());
    return await client.logModel(run, file, { flavor: 'xgboost', ...options } as O);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
