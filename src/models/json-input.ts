import { CairnError } from '../core/errors.js';
import { Frame } from '../core/frame.js';

/** The input fields of MLflow's scoring protocol; a request body holds exactly one of them. */
export const MLFLOW_INPUT_FIELDS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

export interface MlflowJsonInput {
  frame: Frame;
  /** The body's `params`, if any (checked against the signature later, by enforceParams). */
  params?: Record<string, unknown>;
}

const invalid = (message: string) => new CairnError('INVALID_PARAMETER_VALUE', message);
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);

/**
 * Parses a body of MLflow's `/invocations` JSON protocol (an object, or its JSON text):
 * - `dataframe_split`: `{columns?, data: [[...], ...], index?}` (pandas' split orient);
 * - `dataframe_records`: `[{column: value, ...}, ...]`;
 * - `instances` / `inputs` (TF-serving style): a list of records, a list of rows (columns named
 *   `0`, `1`, …), a list of scalars (one column `0`), or a dict of columns. A column given as a
 *   list of lists (a tensor input, e.g. `{"x": [[1, 2], [3, 4]]}`) becomes columns `x_0`, `x_1`, …
 *   and a dict of scalars is one row.
 * plus optional `params`. Types are inferred as Frame.fromRecords does.
 */
export function parseMlflowJson(body: unknown): MlflowJsonInput {
  let b = body;
  if (typeof b === 'string') {
    try {
      b = JSON.parse(b);
    } catch (e) {
      throw invalid(`Invalid JSON input: ${(e as Error).message}`);
    }
  }
  if (!isPlainObject(b)) {
    throw invalid(`Invalid input: expected a JSON object with one of the fields ${fieldList()}`);
  }
  const present = MLFLOW_INPUT_FIELDS.filter((f) => b[f] !== undefined);
  if (present.length !== 1) {
    throw invalid(
      `Invalid input: the JSON object must hold exactly one of the fields ${fieldList()}; ` +
        `received fields [${Object.keys(b).join(', ')}]`,
    );
  }
  const field = present[0]!;
  const value = b[field];
  const frame =
    field === 'dataframe_split'
      ? frameFromSplit(value)
      : field === 'dataframe_records'
        ? frameFromRecordList(value, field)
        : frameFromTensorInput(value, field);
  const params = b.params;
  if (params !== undefined && params !== null && !isPlainObject(params)) {
    throw invalid(`Invalid input: 'params' must be an object of parameter values`);
  }
  return params ? { frame, params } : { frame };
}

/** The frame of an MLflow JSON input body (see parseMlflowJson); params are ignored. */
export function frameFromMlflowJson(body: unknown): Frame {
  return parseMlflowJson(body).frame;
}

/** A frame from pandas' split orient: `{columns?, data, index?}` (the index is ignored). */
export function frameFromSplit(split: unknown): Frame {
  if (!isPlainObject(split) || !Array.isArray(split.data)) {
    throw invalid(`Invalid dataframe_split input: expected {"columns": [...], "data": [[...], ...]}`);
  }
  const rows = split.data as unknown[];
  const width = Array.isArray(rows[0]) ? rows[0].length : 0;
  const names = split.columns === undefined ? range(width) : split.columns;
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string' || typeof n === 'number')) {
    throw invalid(`Invalid dataframe_split input: 'columns' must be a list of column names`);
  }
  const cols: unknown[][] = names.map(() => new Array(rows.length));
  rows.forEach((row, r) => {
    if (!Array.isArray(row) || row.length !== names.length) {
      throw invalid(`Invalid dataframe_split input: row ${r} must be a list of ${names.length} values`);
    }
    row.forEach((v, c) => {
      cols[c]![r] = v;
    });
  });
  return Frame.fromColumns(Object.fromEntries(names.map((n, c) => [String(n), cols[c]!])));
}

function frameFromRecordList(value: unknown, field: string): Frame {
  if (!Array.isArray(value) || !value.every(isPlainObject)) {
    throw invalid(`Invalid ${field} input: expected a list of objects (one per row)`);
  }
  return Frame.fromRecords(value);
}

function frameFromTensorInput(value: unknown, field: string): Frame {
  if (isPlainObject(value)) return frameFromColumnDict(value, field);
  if (!Array.isArray(value)) throw invalid(`Invalid ${field} input: expected a list or an object of columns`);
  if (value.length === 0) return new Frame([]);
  if (value.every(isPlainObject)) return Frame.fromRecords(value);
  if (value.every(Array.isArray)) return frameFromRows(value as unknown[][], field);
  if (value.some((v) => Array.isArray(v) || isPlainObject(v))) {
    throw invalid(`Invalid ${field} input: a list must hold only records, only rows or only scalars`);
  }
  return Frame.fromColumns({ '0': value });
}

function frameFromRows(rows: unknown[][], field: string): Frame {
  const width = rows[0]!.length;
  const cols: unknown[][] = range(width).map(() => new Array(rows.length));
  rows.forEach((row, r) => {
    if (row.length !== width)
      throw invalid(`Invalid ${field} input: row ${r} has ${row.length} values, not ${width}`);
    row.forEach((v, c) => {
      if (Array.isArray(v))
        throw invalid(`Invalid ${field} input: tensors of more than 2 dimensions are not supported`);
      cols[c]![r] = v;
    });
  });
  return Frame.fromColumns(Object.fromEntries(cols.map((c, i) => [String(i), c])));
}

function frameFromColumnDict(dict: Record<string, unknown>, field: string): Frame {
  const entries = Object.entries(dict);
  if (entries.every(([, v]) => !Array.isArray(v))) {
    // A dict of scalars is one row.
    return Frame.fromColumns(Object.fromEntries(entries.map(([k, v]) => [k, [v]])));
  }
  const columns: Record<string, unknown[]> = {};
  for (const [name, v] of entries) {
    if (!Array.isArray(v)) throw invalid(`Invalid ${field} input: column '${name}' must be a list of values`);
    if (v.length > 0 && v.every(Array.isArray)) {
      const width = (v[0] as unknown[]).length;
      for (let j = 0; j < width; j++) {
        columns[`${name}_${j}`] = v.map((row, r) => {
          const x = (row as unknown[])[j];
          if ((row as unknown[]).length !== width || Array.isArray(x)) {
            throw invalid(
              `Invalid ${field} input: column '${name}' row ${r} must be a list of ${width} scalars`,
            );
          }
          return x;
        });
      }
    } else {
      columns[name] = v;
    }
  }
  return Frame.fromColumns(columns);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => String(i));
const fieldList = () => `{${MLFLOW_INPUT_FIELDS.join(', ')}}`;
