import { CairnError } from './errors.js';

/** MLflow's column types, as a model signature names them. */
export const COLUMN_TYPES = ['double', 'float', 'long', 'integer', 'boolean', 'string', 'binary', 'datetime'] as const;
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
      if (this.byName.has(c.name)) throw new CairnError('INVALID_PARAMETER_VALUE', `Duplicate column '${c.name}'`);
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
    for (let r = 0; r < this.length; r++) {
      const rec: Record<string, Scalar> = {};
      for (const c of this.columns) rec[c.name] = scalarAt(c, r);
      out[r] = rec;
    }
    return out;
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
