import { CairnError } from '../core/errors.js';
import { type Column, Frame } from '../core/frame.js';
import type { ColumnSpec, ModelSignature } from '../models/types.js';
import type { ModelIdentity } from './types.js';

/** The Open Inference Protocol (KServe v2) over Cairn frames. */
export interface V2Tensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
}

const bad = (message: string) => new CairnError('BAD_REQUEST', message);

const BY_COLUMN_TYPE: Record<string, string> = {
  double: 'FP64',
  float: 'FP32',
  long: 'INT64',
  integer: 'INT32',
  boolean: 'BOOL',
  string: 'BYTES',
  binary: 'BYTES',
  datetime: 'INT64',
};
const BY_DTYPE: Record<string, string> = {
  float64: 'FP64',
  float32: 'FP32',
  int64: 'INT64',
  int32: 'INT32',
  int16: 'INT16',
  int8: 'INT8',
  uint8: 'UINT8',
  bool: 'BOOL',
  str: 'BYTES',
  object: 'BYTES',
};

function specTensor(spec: ColumnSpec, i: number): { name: string; datatype: string; shape: number[] } {
  const tensor = spec['tensor-spec'];
  return {
    name: spec.name ?? `output_${i}`,
    datatype: tensor ? (BY_DTYPE[tensor.dtype] ?? 'BYTES') : (BY_COLUMN_TYPE[spec.type] ?? 'BYTES'),
    shape: tensor ? tensor.shape : [-1],
  };
}

/** `GET /v2/models/{name}`: the model's metadata, inputs and outputs from its signature. */
export function modelMetadata(id: ModelIdentity, flavor: string | undefined, signature?: ModelSignature) {
  return {
    name: id.name,
    versions: id.version ? [id.version] : [],
    platform: flavor ?? 'cairn',
    inputs: (signature?.inputs ?? []).map(specTensor),
    outputs: (signature?.outputs ?? []).map(specTensor),
  };
}

/**
 * An infer request's inputs as a frame. Each input of shape [n] or [n, 1] is one column; one
 * input of shape [n, k] is k columns, named after the signature's inputs when it has k of them
 * (else `name_0` … `name_{k-1}`).
 */
export function frameFromV2(body: unknown, signature?: ModelSignature): Frame {
  const inputs = (body as { inputs?: unknown } | null)?.inputs;
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw bad(`Invalid infer request: expected {"inputs": [{name, shape, datatype, data}, ...]}`);
  }
  // A map, not an object: an input may be named `__proto__`.
  const columns = new Map<string, unknown[]>();
  for (const raw of inputs) {
    const t = raw as Partial<V2Tensor>;
    if (typeof t?.name !== 'string' || !Array.isArray(t.shape) || !Array.isArray(t.data)) {
      throw bad('Invalid infer request: each input needs a name, a shape and a data list');
    }
    const data = t.data.flat(Number.POSITIVE_INFINITY) as unknown[];
    if (!t.shape.every(isDimension)) {
      throw bad(`Invalid infer request: input '${t.name}' has a shape that is not a list of sizes`);
    }
    const [rows = data.length, width = 1, ...more] = t.shape as number[];
    if (more.some((d) => d !== 1) || rows * width !== data.length) {
      throw bad(`Invalid infer request: input '${t.name}' has ${data.length} values for shape [${t.shape}]`);
    }
    // An empty tensor may claim any width: bound the columns it would make.
    if (width > MAX_TENSOR_WIDTH) {
      throw bad(`Invalid infer request: input '${t.name}' is ${width} wide; at most ${MAX_TENSOR_WIDTH}`);
    }
    if (width === 1) {
      columns.set(t.name, data);
      continue;
    }
    const specs = signature?.inputs;
    const names =
      specs && specs.length === width && inputs.length === 1
        ? specs.map((s, i) => s.name ?? String(i))
        : Array.from({ length: width }, (_, i) => `${t.name}_${i}`);
    names.forEach((n, c) => {
      columns.set(
        n,
        Array.from({ length: rows }, (_, r) => data[r * width + c]),
      );
    });
  }
  return Frame.fromColumns(Object.fromEntries(columns));
}

/** Most columns one infer input may spread into (its second dimension). */
export const MAX_TENSOR_WIDTH = 65_536;

/** A tensor dimension: a whole number of elements (no -1 in a request: its data is all there). */
function isDimension(d: unknown): d is number {
  return typeof d === 'number' && Number.isSafeInteger(d) && d >= 0;
}

function datatypeOf(c: Column): string {
  return BY_COLUMN_TYPE[c.type] ?? 'BYTES';
}

/** A prediction frame as infer-response outputs: one tensor of shape [n] per column. */
export function v2Outputs(frame: Frame): V2Tensor[] {
  return frame.columns.map((c) => ({
    name: c.name,
    shape: [frame.length],
    datatype: datatypeOf(c),
    data: Array.from({ length: frame.length }, (_, r) => frame.value(c.name, r)),
  }));
}
