import type { Visibility } from '../core/visibility.js';
import type { ParsedSearch } from './search-types.js';
import type {
  DatasetInput,
  Experiment,
  KeyValue,
  LifecycleStage,
  Metric,
  Page,
  Run,
  RunBatch,
  RunStatus,
  ViewType,
} from './types.js';

export interface NewExperiment {
  name: string;
  /** Absent: the store's default root + `/<experiment_id>`. */
  artifactLocation?: string;
  tags: KeyValue[];
  time: number;
}

export interface NewRun {
  experimentId: string;
  name: string;
  userId: string;
  startTime: number;
  tags: KeyValue[];
}

export interface RunPatch {
  status?: RunStatus;
  endTime?: number;
  name?: string;
  lifecycleStage?: LifecycleStage;
  deletedTime?: number | null;
}

export interface ExperimentSearch extends ParsedSearch {
  viewType: ViewType;
  maxResults: number;
  pageToken?: string;
  /** Only these experiments (applied by SQL adapters; a remote server applies its own). */
  visible?: Visibility;
}

export interface RunSearch extends ParsedSearch {
  experimentIds: string[];
  viewType: ViewType;
  maxResults: number;
  pageToken?: string;
}

export interface HistoryQuery {
  runId: string;
  key: string;
  maxResults: number;
  pageToken?: string;
}

/**
 * The tracking port: persistence only, in batches. Rules (limits, names, lifecycle) live in
 * TrackingService, written once. Adapters: SQLite, PostgreSQL (sql-store.ts) and HTTP (http-store.ts).
 * Getters return undefined for an unknown id; writers to an unknown id throw RESOURCE_DOES_NOT_EXIST.
 */
export interface TrackingStore {
  createExperiment(input: NewExperiment): Promise<string>;
  getExperiment(experimentId: string): Promise<Experiment | undefined>;
  getExperimentByName(name: string): Promise<Experiment | undefined>;
  searchExperiments(query: ExperimentSearch): Promise<Page<Experiment>>;
  renameExperiment(experimentId: string, newName: string, time: number): Promise<void>;
  setExperimentLifecycle(experimentId: string, stage: LifecycleStage, time: number): Promise<void>;
  setExperimentTags(experimentId: string, tags: KeyValue[]): Promise<void>;
  deleteExperimentTag(experimentId: string, key: string): Promise<void>;

  createRun(run: NewRun): Promise<Run>;
  getRun(runId: string): Promise<Run | undefined>;
  updateRun(runId: string, patch: RunPatch): Promise<void>;
  /**
   * Writes the whole batch or nothing. A param already logged with another value is an
   * INVALID_PARAMETER_VALUE (see paramConflict) and nothing of the batch is written.
   */
  logBatch(runId: string, batch: RunBatch): Promise<void>;
  deleteTag(runId: string, key: string): Promise<void>;
  logInputs(runId: string, inputs: DatasetInput[]): Promise<void>;
  getMetricHistory(query: HistoryQuery): Promise<Page<Metric>>;
  searchRuns(query: RunSearch): Promise<Page<Run>>;

  close(): Promise<void>;
}
