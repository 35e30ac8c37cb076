import type { InferenceSession } from 'onnxruntime-node';
import { CairnError } from '../../core/errors.js';
import type { Column, ColumnValues, Frame } from '../../core/frame.js';

/** What to build an onnxruntime tensor from: its element type, data (row-major) and dims. */
export interface Feed {
  type: string;
  data:
    | Float32Array
    | Float64Array
    | BigInt64Array
    | Int32Array
    | Uint8Array
    | Int8Array
    | Int16Array
    | Uint16Array
    | Uint32Array
    | string[];
  dims: number[];
}

const invalid = (message: string) => new CairnError('INVALID_PARAMETER_VALUE', message);
const NUMERIC = new Set(['double', 'float', 'long', 'integer', 'boolean', 'datetime']);

/**
 * The columns that feed one graph input: the column named like the input; else the columns
 * `<input>_0`, `<input>_1`, …; else, when the graph has a single input, every column of the frame
 * in order (after signature enforcement, the signature's order — as MLflow feeds a DataFrame's
 * values to a single-input graph).
 */
function columnsFor(name: string, frame: Frame, only: boolean): readonly Column[] {
  const exact = frame.get(name);
  if (exact) return [exact];
  const numbered: Column[] = [];
  for (let j = 0; ; j++) {
    const c = frame.get(`${name}_${j}`);
    if (!c) break;
    numbered.push(c);
  }
  if (numbered.length > 0) return numbered;
  if (only && frame.columns.length > 0) return frame.columns;
  throw invalid(
    `The ONNX model input '${name}' has no data: send a column '${name}' or columns '${name}_0', '${name}_1', …; ` +
      `received columns [${frame.names.map((n) => `'${n}'`).join(', ')}]`,
  );
}

/** Builds the feed for one graph input from frame columns, checking counts, shape and types. */
export function feedFor(meta: InferenceSession.ValueMetadata, frame: Frame, only: boolean): Feed {
  if (!meta.isTensor)
    throw invalid(`The ONNX model input '${meta.name}' is not a tensor; Cairn feeds tensors only`);
  const cols = columnsFor(meta.name, frame, only);
  const rows = frame.length;
  const shape = meta.shape;
  const width = cols.length;
  const names = () => cols.map((c) => `'${c.name}'`).join(', ');
  let dims: number[];
  if (shape.length === 0) {
    dims = [rows, width]; // rank unknown to onnxruntime: feed rows x columns
  } else if (shape.length === 1) {
    if (width !== 1)
      throw invalid(
        `The ONNX model input '${meta.name}' takes one value per row; received ${width} columns (${names()})`,
      );
    dims = [rows];
  } else {
    const trailing = shape.slice(1);
    const fixed = trailing.every((d): d is number => typeof d === 'number' && d > 0);
    const per = fixed ? (trailing as number[]).reduce((a, b) => a * b, 1) : width;
    if (per !== width) {
      throw invalid(
        `The ONNX model input '${meta.name}' takes ${per} values per row (shape [${shape.join(', ')}]); ` +
          `received ${width} columns (${names()})`,
      );
    }
    if (!fixed && shape.length > 2) {
      throw invalid(
        `The ONNX model input '${meta.name}' has shape [${shape.join(', ')}]; Cairn feeds 2-D inputs from columns`,
      );
    }
    dims = [rows, ...(fixed ? (trailing as number[]) : [width])];
  }
  if (typeof shape[0] === 'number' && shape[0] > 0 && shape[0] !== rows) {
    throw invalid(
      `The ONNX model input '${meta.name}' takes batches of exactly ${shape[0]} rows; received ${rows}`,
    );
  }
  return { type: meta.type, data: fill(meta.type, meta.name, cols, rows), dims };
}

function fill(type: string, input: string, cols: readonly Column[], rows: number): Feed['data'] {
  const width = cols.length;
  if (type === 'string') {
    const out: string[] = new Array(rows * width);
    cols.forEach((c, j) => {
      if (c.type !== 'string')
        throw invalid(`Column '${c.name}' feeds the string input '${input}' but holds ${c.type} values`);
      for (let i = 0; i < rows; i++) out[i * width + j] = (c.values[i] as string | null) ?? '';
    });
    return out;
  }
  const out = allocate(type, rows * width, input);
  const big = out instanceof BigInt64Array;
  const integral = !(out instanceof Float32Array || out instanceof Float64Array);
  cols.forEach((c, j) => {
    if (!NUMERIC.has(c.type))
      throw invalid(`Column '${c.name}' feeds the ${type} input '${input}' but holds ${c.type} values`);
    const vals = c.values as Float64Array | Float32Array | Int32Array | Uint8Array;
    for (let i = 0; i < rows; i++) {
      const v = vals[i]!;
      if (integral && !Number.isInteger(v)) {
        throw invalid(
          `Column '${c.name}' row ${i} holds ${v}; the ONNX input '${input}' takes ${type} integers`,
        );
      }
      if (big) (out as BigInt64Array)[i * width + j] = BigInt(v);
      else (out as Float32Array)[i * width + j] = v;
    }
  });
  return out;
}

function allocate(type: string, n: number, input: string): Exclude<Feed['data'], string[]> {
  switch (type) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'bool':
    case 'uint8':
      return new Uint8Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'uint16':
      return new Uint16Array(n);
    case 'uint32':
      return new Uint32Array(n);
    default:
      throw invalid(`The ONNX model input '${input}' has element type ${type}, which Cairn cannot feed`);
  }
}

/**
 * The columns of one output tensor of shape [rows, …]: one column named like the output when
 * each row has one value, else `<name>_0`, `<name>_1`, … (row-major over the trailing dims).
 */
export function columnsFromOutput(
  name: string,
  type: string,
  data: unknown,
  dims: readonly number[],
  rows: number,
): Column[] {
  if (dims.length === 0 || dims[0] !== rows) {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `The ONNX model output '${name}' has shape [${dims.join(', ')}], not one entry per input row (${rows})`,
    );
  }
  const k = dims.slice(1).reduce((a, b) => a * b, 1);
  const out: Column[] = [];
  for (let j = 0; j < k; j++) {
    out.push({ name: k === 1 ? name : `${name}_${j}`, ...outputValues(name, type, data, rows, k, j) });
  }
  return out;
}

function outputValues(
  name: string,
  type: string,
  data: unknown,
  rows: number,
  k: number,
  j: number,
): Pick<Column, 'type' | 'values'> {
  const pick = <T extends { length: number }>(
    make: (n: number) => T,
    set: (o: T, i: number, v: unknown) => void,
  ) => {
    const o = make(rows);
    const src = data as ArrayLike<unknown>;
    for (let i = 0; i < rows; i++) set(o, i, src[i * k + j]);
    return o as unknown as ColumnValues;
  };
  const num = (o: { [i: number]: number }, i: number, v: unknown) => {
    o[i] = Number(v);
  };
  switch (type) {
    case 'float32':
      return { type: 'float', values: pick((n) => new Float32Array(n), num) };
    case 'float64':
      return { type: 'double', values: pick((n) => new Float64Array(n), num) };
    case 'int64':
    case 'uint64':
    case 'uint32':
      return { type: 'long', values: pick((n) => new Float64Array(n), num) };
    case 'int32':
    case 'int16':
    case 'int8':
    case 'uint16':
    case 'uint8':
      return { type: 'integer', values: pick((n) => new Int32Array(n), num) };
    case 'bool':
      return {
        type: 'boolean',
        values: pick(
          (n) => new Uint8Array(n),
          (o, i, v) => {
            o[i] = v ? 1 : 0;
          },
        ),
      };
    case 'string':
      return {
        type: 'string',
        values: pick(
          (n) => new Array<string | null>(n),
          (o, i, v) => {
            o[i] = String(v);
          },
        ),
      };
    default:
      throw new CairnError(
        'INVALID_PARAMETER_VALUE',
        `The ONNX model output '${name}' has element type ${type}, which Cairn cannot return`,
      );
  }
}
