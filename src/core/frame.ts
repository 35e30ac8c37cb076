import { CairnError } from './errors.js';

/** MLflow's column types, as a model signature names them. */
export const COLUMN_TYPES = [
  'double',
  'float',
  'long',
  'integer',
  'boolean',
  'string',
  'binary',
  'datetime',
] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/**
 * A column's values. Numbers live in typed arrays: `double` and `long` (integers, exact to 2^53)
 * and `datetime` (ms since the epoch) in Float64Array, `float` in Float32Array, `integer` in
 * Int32Array, `boolean` in Uint8Array (0/1). A missing number is NaN (double/float only);
 * a missing string or binary value is null.
 */
export type ColumnValues =
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint8Array
  | Array<string | null>
  | Array<Uint8Array | null>;

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
  readonly values: ColumnValues;
}

export type Scalar = number | string | boolean | Uint8Array | null;

/**
 * Tabular data as it moves between Cairn's modules: named, typed columns of equal length.
 * Row objects, Arrow, Parquet and DuckDB results convert to and from it.
 */
export class Frame {
  readonly columns: readonly Column[];
  readonly length: number;
  private readonly byName: Map<string, Column>;

  constructor(columns: readonly Column[]) {
    this.columns = columns;
    this.length = columns[0]?.values.length ?? 0;
    this.byName = new Map();
    for (const c of columns) {
      if (this.byName.has(c.name))
        throw new CairnError('INVALID_PARAMETER_VALUE', `Duplicate column '${c.name}'`);
      if (c.values.length !== this.length) {
        throw new CairnError(
          'INVALID_PARAMETER_VALUE',
          `Column '${c.name}' has ${c.values.length} values; the frame has ${this.length} rows`,
        );
      }
      this.byName.set(c.name, c);
    }
  }

  get names(): string[] {
    return this.columns.map((c) => c.name);
  }

  get(name: string): Column | undefined {
    return this.byName.get(name);
  }

  /** One value, as a JS scalar (NaN numbers of double/float columns become null). */
  value(name: string, row: number): Scalar {
    const c = this.byName.get(name);
    if (!c) throw new CairnError('INVALID_PARAMETER_VALUE', `No column '${name}'`);
    return scalarAt(c, row);
  }

  toRecords(): Array<Record<string, Scalar>> {
    const out: Array<Record<string, Scalar>> = new Array(this.length);
    // A column named `__proto__` (a request may name one) is an own key, not the prototype.
    const proto = this.byName.has('__proto__');
    for (let r = 0; r < this.length; r++) {
      const rec: Record<string, Scalar> = {};
      for (const c of this.columns) {
        if (proto && c.name === '__proto__')
          Object.defineProperty(rec, c.name, {
            value: scalarAt(c, r),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        else rec[c.name] = scalarAt(c, r);
      }
      out[r] = rec;
    }
    return out;
  }

  /**
   * A frame from row objects, typed the way pandas and MLflow would type them: all-integer numbers
   * are `long`, other numbers `double`, strings `string`, booleans `boolean`, byte arrays `binary`,
   * Dates `datetime`. A null/undefined/missing value is missing (NaN in a number column; an integer
   * column with a missing value becomes `double`). Columns come in order of first appearance.
   * `types` fixes a column's type instead of inferring it.
   */
  static fromRecords(
    records: ReadonlyArray<Readonly<Record<string, unknown>>>,
    types?: Readonly<Partial<Record<string, ColumnType>>>,
  ): Frame {
    const names: string[] = [];
    const seen = new Set<string>();
    for (const rec of records) {
      if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
        throw new CairnError('INVALID_PARAMETER_VALUE', 'Each record must be an object of column values');
      }
      for (const k of Object.keys(rec)) {
        if (!seen.has(k)) {
          seen.add(k);
          names.push(k);
        }
      }
    }
    return new Frame(
      names.map((n) =>
        buildColumn(
          n,
          records.map((r) => r[n]),
          types?.[n],
        ),
      ),
    );
  }

  /**
   * A frame from named columns: plain arrays (typed as in `fromRecords`) or typed arrays
   * (Float64Array → double, Float32Array → float, Int32Array → integer, Uint8Array → boolean).
   */
  static fromColumns(
    columns: Readonly<Record<string, ArrayLike<unknown>>>,
    types?: Readonly<Partial<Record<string, ColumnType>>>,
  ): Frame {
    return new Frame(Object.entries(columns).map(([n, v]) => buildColumn(n, v, types?.[n])));
  }

  select(names: readonly string[]): Frame {
    return new Frame(
      names.map((n) => {
        const c = this.byName.get(n);
        if (!c) throw new CairnError('INVALID_PARAMETER_VALUE', `No column '${n}'`);
        return c;
      }),
    );
  }
}

function scalarAt(c: Column, row: number): Scalar {
  const v = c.values[row];
  if (v === undefined) return null;
  if (c.type === 'boolean') return v === 1;
  if (typeof v === 'number' && Number.isNaN(v)) return null;
  return v;
}

type Kind = 'number' | 'string' | 'boolean' | 'binary' | 'datetime';

/** Whether a value is missing: null, undefined or a NaN number. */
export function isMissing(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
}

/**
 * One column from values. With `type`, values are converted strictly to it (no number from a
 * boolean, no integer from a fraction); without, the type is inferred (see Frame.fromRecords).
 */
export function buildColumn(name: string, values: ArrayLike<unknown>, type?: ColumnType): Column {
  if (!type) {
    const typed = typedArrayColumn(name, values);
    if (typed) return typed;
  }
  const t = type ?? inferColumnType(name, values);
  return { name, type: t, values: convertValues(name, values, t) };
}

function typedArrayColumn(name: string, values: ArrayLike<unknown>): Column | undefined {
  if (values instanceof Float64Array) return { name, type: 'double', values };
  if (values instanceof Float32Array) return { name, type: 'float', values };
  if (values instanceof Int32Array) return { name, type: 'integer', values };
  if (values instanceof Uint8Array) return { name, type: 'boolean', values };
  if (values instanceof Int8Array || values instanceof Int16Array || values instanceof Uint16Array) {
    return { name, type: 'integer', values: Int32Array.from(values) };
  }
  if (values instanceof Uint32Array) return { name, type: 'long', values: Float64Array.from(values) };
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    return { name, type: 'long', values: convertValues(name, Array.from(values), 'long') };
  }
  return undefined;
}

function kindOf(name: string, v: unknown, row: number): Kind {
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (v instanceof Uint8Array) return 'binary';
  if (v instanceof Date) return 'datetime';
  const what = Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v;
  throw new CairnError(
    'INVALID_PARAMETER_VALUE',
    `Column '${name}' holds ${what} at row ${row}; frame columns hold scalar values`,
  );
}

/** The column type pandas → MLflow inference would give these values. */
export function inferColumnType(name: string, values: ArrayLike<unknown>): ColumnType {
  let kind: Kind | undefined;
  let missing = false;
  let fractional = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isMissing(v)) {
      missing = true;
      continue;
    }
    const k = kindOf(name, v, i);
    if (kind && k !== kind) {
      throw new CairnError('INVALID_PARAMETER_VALUE', `Column '${name}' mixes ${kind} and ${k} values`);
    }
    kind = k;
    if (typeof v === 'number' && !(Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER)) {
      fractional = true;
    }
  }
  switch (kind) {
    case undefined:
      return 'double';
    case 'number':
      return fractional || missing ? 'double' : 'long';
    case 'string':
      return 'string';
    case 'boolean':
      if (missing) {
        throw new CairnError(
          'INVALID_PARAMETER_VALUE',
          `Column '${name}' is boolean with missing values; boolean columns cannot hold a missing value`,
        );
      }
      return 'boolean';
    case 'binary':
      return 'binary';
    case 'datetime':
      return 'datetime';
  }
}

function bad(name: string, type: ColumnType, v: unknown, row: number, why = ''): CairnError {
  const shown = typeof v === 'string' ? `'${v.length > 40 ? `${v.slice(0, 37)}...` : v}'` : String(v);
  return new CairnError(
    'INVALID_PARAMETER_VALUE',
    `Column '${name}' expects ${type} values; got ${shown} at row ${row}${why ? ` (${why})` : ''}`,
  );
}

function toNumber(name: string, type: ColumnType, v: unknown, row: number): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw bad(name, type, v, row, 'beyond 2^53, not exact as a number');
    return n;
  }
  throw bad(name, type, v, row);
}

function convertValues(name: string, values: ArrayLike<unknown>, type: ColumnType): ColumnValues {
  const n = values.length;
  switch (type) {
    case 'double':
    case 'float': {
      const out = type === 'double' ? new Float64Array(n) : new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        out[i] = isMissing(v) ? Number.NaN : toNumber(name, type, v, i);
      }
      return out;
    }
    case 'long':
    case 'integer': {
      const out = type === 'long' ? new Float64Array(n) : new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (isMissing(v)) throw bad(name, type, v, i, `a ${type} column cannot hold a missing value`);
        const x = toNumber(name, type, v, i);
        if (!Number.isInteger(x)) throw bad(name, type, v, i, 'not an integer');
        if (type === 'long' && !Number.isSafeInteger(x)) throw bad(name, type, v, i, 'beyond 2^53');
        if (type === 'integer' && (x < -2147483648 || x > 2147483647)) {
          throw bad(name, type, v, i, 'outside the 32-bit range');
        }
        out[i] = x;
      }
      return out;
    }
    case 'boolean': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'boolean') throw bad(name, type, v, i);
        out[i] = v ? 1 : 0;
      }
      return out;
    }
    case 'string': {
      const out: Array<string | null> = new Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (isMissing(v)) out[i] = null;
        else if (typeof v === 'string') out[i] = v;
        else throw bad(name, type, v, i);
      }
      return out;
    }
    case 'binary': {
      const out: Array<Uint8Array | null> = new Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (isMissing(v)) out[i] = null;
        else if (v instanceof Uint8Array) out[i] = v;
        else throw bad(name, type, v, i);
      }
      return out;
    }
    case 'datetime': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (isMissing(v)) out[i] = Number.NaN;
        else if (v instanceof Date) out[i] = v.getTime();
        else if (typeof v === 'number') out[i] = v;
        else if (typeof v === 'string' && !Number.isNaN(parseIsoTime(v))) out[i] = parseIsoTime(v);
        else throw bad(name, type, v, i, 'expected a Date, ms since the epoch, or an ISO 8601 string');
      }
      return out;
    }
  }
}

const NAIVE_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/** ms since the epoch of an ISO 8601 time; a time without an offset is read as UTC (as pandas does). */
export function parseIsoTime(s: string): number {
  return Date.parse(NAIVE_DATE_TIME.test(s) ? `${s.replace(' ', 'T')}Z` : s);
}
