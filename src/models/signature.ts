import { CairnError } from '../core/errors.js';
import { COLUMN_TYPES, type Column, type ColumnType, Frame } from '../core/frame.js';
import { coerceColumn } from './coerce.js';
import type { ColumnSpec, ModelSignature, ParamSpec } from './types.js';

const invalid = (message: string) => new CairnError('INVALID_PARAMETER_VALUE', message);

/** A signature from example inputs (and outputs): one required column spec per frame column. */
export function inferSignature(inputs: Frame, outputs?: Frame): ModelSignature {
  const specs = (f: Frame): ColumnSpec[] =>
    f.columns.map((c) => ({ type: c.type, name: c.name, required: true }));
  const sig: ModelSignature = { inputs: specs(inputs) };
  if (outputs) sig.outputs = specs(outputs);
  return sig;
}

const isScalarType = (t: string): t is ColumnType => (COLUMN_TYPES as readonly string[]).includes(t);
const describe = (s: ColumnSpec) => `'${s.name}' (${s.type})`;

/**
 * Checks and converts a frame to a signature's inputs, as MLflow's schema enforcement does:
 * a missing required column is an error, a missing optional one is left out, columns the
 * signature does not name are dropped, and each column is converted to its spec's type where that
 * is safe (see coerceColumn) or refused with an error naming the column, the expected and the
 * received type. Columns come back in signature order. Unnamed specs match columns by position.
 * Tensor signatures keep the frame as is, after checking its columns hold numbers.
 */
export function enforceSignature(frame: Frame, signature: ModelSignature | undefined): Frame {
  const specs = signature?.inputs;
  if (!specs || specs.length === 0) return frame;
  if (specs.some((s) => s.type === 'tensor')) return checkTensorFrame(frame, specs);
  const nested = specs.find((s) => !isScalarType(s.type));
  if (nested) {
    throw invalid(
      `Model input ${describe(nested)} has an MLflow type Cairn cannot feed to a model; ` +
        `supported column types: ${COLUMN_TYPES.join(', ')}`,
    );
  }
  if (specs[0]?.name === undefined) return enforceByPosition(frame, specs);

  const missing = specs.filter((s) => s.required !== false && !frame.get(s.name!));
  if (missing.length > 0) {
    throw invalid(
      `Model is missing inputs: ${missing.map(describe).join(', ')}. ` +
        `Received columns: [${frame.names.map((n) => `'${n}'`).join(', ')}]`,
    );
  }
  const columns: Column[] = [];
  for (const s of specs) {
    const col = frame.get(s.name!);
    if (col) columns.push(coerceColumn(col, s.type as ColumnType));
  }
  return new Frame(columns);
}

function enforceByPosition(frame: Frame, specs: ColumnSpec[]): Frame {
  if (frame.columns.length < specs.length) {
    throw invalid(`Model expects ${specs.length} input columns; received ${frame.columns.length}`);
  }
  return new Frame(specs.map((s, i) => coerceColumn(frame.columns[i]!, s.type as ColumnType)));
}

const NUMERIC_COLUMN: ReadonlySet<string> = new Set(['double', 'float', 'long', 'integer', 'boolean']);

function checkTensorFrame(frame: Frame, specs: ColumnSpec[]): Frame {
  const textual = specs.some((s) => /^(str|object|bytes)/.test(s['tensor-spec']?.dtype ?? ''));
  if (textual) return frame;
  for (const c of frame.columns) {
    if (!NUMERIC_COLUMN.has(c.type)) {
      const dtypes = specs.map((s) => s['tensor-spec']?.dtype).join(', ');
      throw invalid(
        `Incompatible input types for column '${c.name}': expected numbers for a tensor of ${dtypes}, got ${c.type}`,
      );
    }
  }
  return frame;
}

/**
 * Checks inference params against the signature's param specs: a missing param takes its default,
 * a value of the wrong type is INVALID_PARAMETER_VALUE naming the param, and params the signature
 * does not declare are dropped (as MLflow ignores them). Without param specs, params pass through.
 */
export function enforceParams(
  params: Readonly<Record<string, unknown>> | undefined,
  specs: readonly ParamSpec[] | undefined,
): Record<string, unknown> {
  if (!specs || specs.length === 0) return { ...params };
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    const given = params?.[spec.name];
    const value = given === undefined || given === null ? spec.default : given;
    if (spec.shape && spec.shape.length > 0) {
      if (!Array.isArray(value)) {
        throw invalid(
          `Invalid value for param '${spec.name}': expected a list of ${spec.type}, got ${show(value)}`,
        );
      }
      out[spec.name] = value.map((v) => paramValue(spec, v));
    } else {
      out[spec.name] = paramValue(spec, value);
    }
  }
  return out;
}

function paramValue(spec: ParamSpec, v: unknown): unknown {
  const t = spec.type;
  const ok =
    v === null ||
    ((t === 'double' || t === 'float') && typeof v === 'number') ||
    (t === 'long' && Number.isSafeInteger(v)) ||
    (t === 'integer' && Number.isInteger(v) && (v as number) >= -(2 ** 31) && (v as number) < 2 ** 31) ||
    (t === 'boolean' && typeof v === 'boolean') ||
    (t === 'string' && typeof v === 'string') ||
    (t === 'datetime' && typeof v === 'string' && !Number.isNaN(Date.parse(v)));
  if (!ok) throw invalid(`Invalid value for param '${spec.name}': expected ${t}, got ${show(v)}`);
  return v;
}

function show(v: unknown): string {
  if (typeof v === 'string') return `string '${v.length > 40 ? `${v.slice(0, 37)}...` : v}'`;
  if (Array.isArray(v)) return 'a list';
  if (v === null || v === undefined) return 'nothing';
  return `${typeof v} ${typeof v === 'object' ? '' : String(v)}`.trim();
}
