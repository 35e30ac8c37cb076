export { Booster, type BoosterState, type PredictOptions } from './booster.js';
export type { ImportanceType } from './importance.js';
export { rocAuc } from './metrics.js';
export {
  logBooster,
  type MetricsRun,
  type ModelLogger,
  type TrackingCallback,
  trackingCallback,
} from './tracking.js';
export { train } from './train.js';
export type {
  EvalData,
  Features,
  GbdtParams,
  IterationMetrics,
  MetricName,
  ObjectiveName,
  ResolvedParams,
  TrainCallback,
  TrainInfo,
  TrainOptions,
  Tree,
} from './types.js';
