import { CairnError } from '../core/errors.js';
import { type Column, type ColumnValues, Frame } from '../core/frame.js';

type TypedArray = Float64Array | Float32Array | Int32Array | Uint8Array;

/** A key that is equal for frames whose columns have the same names and types, in order. */
export function schemaKey(frame: Frame): string {
  let key = '';
  for (const c of frame.columns) key += `${c.name}\u0000${c.type}\u0001`;
  return key;
}

/** Rows [start, end) of a frame. */
export function sliceFrame(frame: Frame, start: number, end: number): Frame {
  if (start === 0 && end === frame.length) return frame;
  return new Frame(
    frame.columns.map((c) => ({
      name: c.name,
      type: c.type,
      values: c.values.slice(start, end) as ColumnValues,
    })),
  );
}

/** Frames with the same schema, one after another. */
export function concatFrames(frames: readonly Frame[]): Frame {
  if (frames.length === 1) return frames[0]!;
  const first = frames[0]!;
  const key = schemaKey(first);
  if (frames.some((f) => schemaKey(f) !== key))
    throw new CairnError(
      'INTERNAL_ERROR',
      'The model returned outputs of different columns for parts of one batch',
    );
  const total = frames.reduce((n, f) => n + f.length, 0);
  const columns: Column[] = first.columns.map((c, i) => {
    if (Array.isArray(c.values)) {
      const out: unknown[] = [];
      for (const f of frames) for (const v of f.columns[i]!.values as unknown[]) out.push(v);
      return { name: c.name, type: c.type, values: out as ColumnValues };
    }
    const Ctor = c.values.constructor as new (n: number) => TypedArray;
    const out = new Ctor(total);
    let at = 0;
    for (const f of frames) {
      const v = f.columns[i]!.values as TypedArray;
      out.set(v, at);
      at += v.length;
    }
    return { name: c.name, type: c.type, values: out };
  });
  return new Frame(columns);
}
