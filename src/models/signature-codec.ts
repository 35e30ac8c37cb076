import { CairnError } from '../core/errors.js';
import { COLUMN_TYPES, type ColumnType } from '../core/frame.js';
import { PyFloat, pyJsonDumps } from './py-json.js';
import type { ColumnSpec, ModelSignature, NestedColumnType, ParamSpec } from './types.js';

/**
 * The signature as MLmodel holds it: `inputs`, `outputs` and `params`, each a JSON string written
 * by Python's json.dumps (or null), e.g. `'[{"type": "double", "name": "x", "required": true}]'`.
 * Key order follows MLflow's `to_dict`: a column spec is `type`, (nested-type keys), `name`,
 * `required`; a tensor spec `name`, `type`, `tensor-spec` {`dtype`, `shape`}; a param spec
 * `name`, `default`, `shape`, `type`.
 */
export interface EncodedSignature {
  inputs: string | null;
  outputs: string | null;
  params: string | null;
}

const NESTED: readonly string[] = [
  'array',
  'object',
  'map',
  'any',
  'sparkml_vector',
] satisfies NestedColumnType[];
const SCALAR: readonly string[] = COLUMN_TYPES;

const invalid = (message: string) => new CairnError('INVALID_PARAMETER_VALUE', message);

export function encodeSignature(sig: ModelSignature): EncodedSignature {
  return {
    inputs: sig.inputs?.length ? pyJsonDumps(sig.inputs.map(encodeSpec)) : null,
    outputs: sig.outputs?.length ? pyJsonDumps(sig.outputs.map(encodeSpec)) : null,
    params: sig.params?.length ? pyJsonDumps(sig.params.map(encodeParam)) : null,
  };
}

function encodeSpec(s: ColumnSpec): Record<string, unknown> {
  const { name, type, required, 'tensor-spec': tensor, ...rest } = s;
  if (type === 'tensor') {
    const out: Record<string, unknown> = name === undefined ? {} : { name };
    out.type = 'tensor';
    out['tensor-spec'] = { dtype: tensor?.dtype, shape: tensor?.shape };
    return { ...out, ...rest };
  }
  return { type, ...rest, ...(name === undefined ? {} : { name }), required: required ?? true };
}

function encodeParam(p: ParamSpec): Record<string, unknown> {
  const isFloat = p.type === 'double' || p.type === 'float';
  const asPy = (v: unknown) => (isFloat && typeof v === 'number' ? new PyFloat(v) : v);
  const dflt = Array.isArray(p.default) ? p.default.map(asPy) : asPy(p.default);
  return { name: p.name, default: dflt, shape: p.shape ?? null, type: p.type };
}

/** Decodes MLmodel's `signature:` mapping; throws INVALID_PARAMETER_VALUE naming what is wrong. */
export function decodeSignature(raw: unknown): ModelSignature {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw invalid('Invalid MLmodel: signature must be a mapping with inputs, outputs and params');
  }
  const r = raw as Record<string, unknown>;
  const sig: ModelSignature = {};
  const inputs = decodeList(r.inputs, 'inputs');
  const outputs = decodeList(r.outputs, 'outputs');
  const params = decodeList(r.params, 'params');
  if (inputs) sig.inputs = inputs.map((x, i) => decodeSpec(x, `inputs[${i}]`));
  if (outputs) sig.outputs = outputs.map((x, i) => decodeSpec(x, `outputs[${i}]`));
  if (params) sig.params = params.map((x, i) => decodeParam(x, `params[${i}]`));
  return sig;
}

function decodeList(v: unknown, part: string): unknown[] | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  const parsed = typeof v === 'string' ? parseJson(v, part) : v;
  if (!Array.isArray(parsed)) throw invalid(`Invalid MLmodel: signature ${part} must be a JSON list`);
  return parsed;
}

function parseJson(text: string, part: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    // Python's json.dumps writes NaN/Infinity bare (a float param default); JSON.parse does not.
    try {
      const marked = text.replace(/(?<=[:,[]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g, '"__py_$1"');
      return JSON.parse(marked, (_k, x) =>
        typeof x === 'string' && x.startsWith('__py_') ? Number(x.slice(5)) : x,
      );
    } catch {
      throw invalid(`Invalid MLmodel: signature ${part} is not valid JSON (${(e as Error).message})`);
    }
  }
}

function asObject(x: unknown, where: string): Record<string, unknown> {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) {
    throw invalid(`Invalid MLmodel: signature ${where} must be an object`);
  }
  return x as Record<string, unknown>;
}

function decodeSpec(x: unknown, where: string): ColumnSpec {
  const o = asObject(x, where);
  const type = o.type;
  if (typeof type !== 'string' || !(type === 'tensor' || SCALAR.includes(type) || NESTED.includes(type))) {
    throw invalid(`Invalid MLmodel: signature ${where} has unknown type ${JSON.stringify(type)}`);
  }
  if (o.name !== undefined && o.name !== null && typeof o.name !== 'string') {
    throw invalid(`Invalid MLmodel: signature ${where} has a name that is not a string`);
  }
  if (o.required !== undefined && typeof o.required !== 'boolean') {
    throw invalid(`Invalid MLmodel: signature ${where} has a non-boolean 'required'`);
  }
  if (type === 'tensor') {
    const t = asObject(o['tensor-spec'], `${where}.tensor-spec`);
    const shape = t.shape;
    if (typeof t.dtype !== 'string' || !Array.isArray(shape) || !shape.every((d) => Number.isInteger(d))) {
      throw invalid(
        `Invalid MLmodel: signature ${where} needs a tensor-spec with a dtype and an integer shape`,
      );
    }
  }
  const spec = { ...o } as ColumnSpec;
  if (o.name === null) delete spec.name;
  return spec;
}

function decodeParam(x: unknown, where: string): ParamSpec {
  const o = asObject(x, where);
  const type = o.type ?? o.dtype; // MLflow still reads the older `dtype` key
  if (typeof o.name !== 'string' || typeof type !== 'string' || !('default' in o)) {
    throw invalid(`Invalid MLmodel: signature ${where} needs a name, a type and a default`);
  }
  if (!SCALAR.includes(type)) {
    throw invalid(`Invalid MLmodel: signature ${where} (param '${o.name}') has unsupported type '${type}'`);
  }
  const shape = o.shape;
  if (shape !== null && shape !== undefined && !(Array.isArray(shape) && shape.every(Number.isInteger))) {
    throw invalid(`Invalid MLmodel: signature ${where} (param '${o.name}') has an invalid shape`);
  }
  return { name: o.name, type: type as ColumnType, default: o.default, shape: (shape as number[]) ?? null };
}
