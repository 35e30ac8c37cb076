import type { ColumnType } from '../core/frame.js';

/**
 * MLflow's nested column types (`array` with `items`, `object` with `properties`, `map` with
 * `values`, `any`, `sparkml_vector`). Cairn keeps them so MLmodel files round-trip, but cannot feed
 * them to a flavor: enforcing a signature with one is an error.
 */
export type NestedColumnType = 'array' | 'object' | 'map' | 'any' | 'sparkml_vector';

/** One input or output of a signature: a named column, or a tensor (as MLflow's specs). */
export interface ColumnSpec {
  name?: string;
  type: ColumnType | 'tensor' | NestedColumnType;
  /** MLflow writes it for column specs; absent means required. */
  required?: boolean;
  /** For `type: 'tensor'`: numpy dtype name and shape (-1 = any size). */
  'tensor-spec'?: { dtype: string; shape: number[] };
  /** Keys of nested types (`items`, `properties`, `values`) and any other key MLflow wrote. */
  [key: string]: unknown;
}

export interface ParamSpec {
  name: string;
  type: ColumnType;
  default: unknown;
  /** `null` (or absent) for a scalar, `[-1]` for a list of values. */
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
