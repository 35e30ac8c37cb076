import { invalidParam } from '../../core/errors.js';
import { Frame } from '../../core/frame.js';
import type { Features } from './types.js';

/** Row-major float32 features (NaN = missing), as XGBoost's DMatrix holds dense data. */
export interface Matrix {
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
  readonly names: readonly string[] | null;
}

/**
 * A Float32Array (row-major, `rows` rows) or a Frame of numeric columns as a Matrix. Frame values
 * are rounded to float32 as XGBoost does when it builds a DMatrix; `byName` picks a Frame's
 * columns by name, in that order (a model's features), else all its columns are taken in order.
 */
export function toMatrix(
  x: Features,
  rows: number,
  names?: readonly string[],
  byName?: readonly string[] | null,
): Matrix {
  if (x instanceof Frame) {
    if (x.length !== rows) throw invalidParam(`X has ${x.length} rows but y has ${rows}`);
    const columns = byName
      ? byName.map((n) => {
          const c = x.get(n);
          if (!c) throw invalidParam(`X has no column '${n}', a feature of the model`);
          return c;
        })
      : x.columns;
    const cols = columns.length;
    const data = new Float32Array(rows * cols);
    columns.forEach((c, j) => {
      const v = c.values;
      if (Array.isArray(v)) throw invalidParam(`Column '${c.name}' is not numeric (type ${c.type})`);
      for (let r = 0; r < rows; r++) data[r * cols + j] = (v as ArrayLike<number>)[r]!;
    });
    return { data, rows, cols, names: columns.map((c) => c.name) };
  }
  if (rows === 0 || x.length % rows !== 0) {
    throw invalidParam(`X has ${x.length} values, not a whole number of rows for ${rows} labels`);
  }
  const cols = x.length / rows;
  if (names && names.length !== cols)
    throw invalidParam(`${names.length} feature names for ${cols} features`);
  return { data: x, rows, cols, names: names ?? null };
}

/** Rows of a Features value whose width is known (for prediction). */
export function rowsOf(x: Features, cols: number): number {
  if (x instanceof Frame) return x.length;
  if (x.length % cols !== 0) throw invalidParam(`X has ${x.length} values, not rows of ${cols} features`);
  return x.length / cols;
}
