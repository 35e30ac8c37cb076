import { CairnError } from '../core/errors.js';
import { type Column, type ColumnType, type ColumnValues, isMissing, parseIsoTime } from '../core/frame.js';

/**
 * Converts a column to the type a signature asks for, where that is safe:
 *
 * | from \ to        | double/float | long              | integer                | other          |
 * |------------------|--------------|-------------------|------------------------|----------------|
 * | integer, long    | always       | always / fits     | when every value fits  | no             |
 * | double, float    | always       | every value integral and within range, none missing     |
 * | boolean          | no           | no                | no                     | boolean only   |
 * | string           | no           | no                | no                     | binary (base64), datetime (ISO 8601) |
 *
 * A column whose values are all missing becomes any type that can hold a missing value (double,
 * float, string, binary, datetime). Anything else is INVALID_PARAMETER_VALUE naming the column,
 * the expected type, the type received and, for a failed value, its row.
 */
export function coerceColumn(col: Column, to: ColumnType): Column {
  const from = col.type;
  if (from === to) return col;
  const n = col.values.length;
  const fail = (detail?: string) =>
    new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Incompatible input types for column '${col.name}': expected ${to}, got ${from}${detail ? ` (${detail})` : ''}`,
    );
  const make = (values: ColumnValues): Column => ({ name: col.name, type: to, values });

  if (allMissing(col)) {
    if (to === 'double' || to === 'datetime') return make(new Float64Array(n).fill(Number.NaN));
    if (to === 'float') return make(new Float32Array(n).fill(Number.NaN));
    if (to === 'string' || to === 'binary') return make(new Array(n).fill(null));
  }
  const numeric = from === 'double' || from === 'float' || from === 'long' || from === 'integer';
  const nums = col.values as Float64Array | Float32Array | Int32Array;

  switch (to) {
    case 'double':
      if (numeric) return make(Float64Array.from(nums));
      break;
    case 'float':
      if (numeric) return make(Float32Array.from(nums));
      break;
    case 'long':
    case 'integer': {
      if (!numeric) break;
      const [lo, hi] =
        to === 'long' ? [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] : [-(2 ** 31), 2 ** 31 - 1];
      for (let i = 0; i < n; i++) {
        const v = nums[i]!;
        if (Number.isNaN(v)) throw fail(`row ${i} is missing; a ${to} column cannot hold a missing value`);
        if (!Number.isInteger(v)) throw fail(`row ${i} holds ${v}, which is not an integer`);
        if (v < lo || v > hi) throw fail(`row ${i} holds ${v}, outside the ${to} range`);
      }
      return make(to === 'long' ? Float64Array.from(nums) : Int32Array.from(nums));
    }
    case 'binary':
      if (from === 'string') return make(decodeBase64Column(col.values as Array<string | null>, fail));
      break;
    case 'datetime':
      if (from === 'string') {
        const strings = col.values as Array<string | null>;
        const out = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          const s = strings[i];
          out[i] = s === null || s === undefined ? Number.NaN : parseIsoTime(s);
          if (s !== null && s !== undefined && Number.isNaN(out[i])) {
            throw fail(`row ${i} holds '${s.slice(0, 40)}', not an ISO 8601 time`);
          }
        }
        return make(out);
      }
      break;
  }
  throw fail();
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function decodeBase64Column(values: Array<string | null>, fail: (d: string) => CairnError) {
  return values.map((s, i) => {
    if (s === null || s === undefined) return null;
    if (!BASE64.test(s) || s.replace(/=+$/, '').length % 4 === 1) throw fail(`row ${i} is not base64`);
    return new Uint8Array(Buffer.from(s, 'base64'));
  });
}

function allMissing(col: Column): boolean {
  if (col.type === 'boolean' || col.type === 'integer' || col.type === 'long') return col.values.length === 0;
  for (let i = 0; i < col.values.length; i++) if (!isMissing(col.values[i])) return false;
  return true;
}
