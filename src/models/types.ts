import type { ColumnType } from '../core/frame.js';

/** One input or output of a signature: a named column, or a tensor (as MLflow's specs). */
export interface ColumnSpec {
  name?: string;
  type: ColumnType | 'tensor';
  required?: boolean;
  /** For `type: 'tensor'`: numpy dtype name and shape (-1 = any size). */
  'tensor-spec'?: { dtype: string; shape: number[] };
}

export interface ParamSpec {
  name: string;
  type: ColumnType;
  default: unknown;
  shape?: number[] | null;
}

/** A model signature, decoded (MLmodel stores each part as a JSON string). */
export interface ModelSignature {
  inputs?: ColumnSpec[];
  outputs?: ColumnSpec[];
  params?: ParamSpec[];
}

/** The MLmodel file, decoded. Unknown keys are kept, so a file MLflow wrote round-trips. */
export interface ModelManifest {
  artifact_path?: string;
  flavors: Record<string, Record<string, unknown>>;
  model_uuid?: string;
  model_id?: string;
  run_id?: string;
  utc_time_created?: string;
  mlflow_version?: string;
  signature?: ModelSignature;
  saved_input_example_info?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  [key: string]: unknown;
}
