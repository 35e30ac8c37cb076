import { CairnError, type ErrorCode, isCairnError, toErrorCode } from '../core/errors.js';
import { type ColumnType, type ColumnValues, Frame } from '../core/frame.js';

/** A frame as it crosses a thread boundary: whole columns, numbers in typed arrays. */
export interface WireFrame {
  columns: Array<{ name: string; type: ColumnType; values: ColumnValues }>;
}

/** An error as it crosses a thread boundary (a thrown error would lose its code). */
export interface WireError {
  code: ErrorCode | null;
  message: string;
}

const isTyped = (v: ColumnValues): v is Exclude<ColumnValues, unknown[]> => !Array.isArray(v);

/**
 * A frame for postMessage. With `move`, the typed arrays' buffers are listed for transfer (the
 * caller must own them: they are detached here once sent); without, they are copied by the clone.
 */
export function frameToWire(frame: Frame, move: boolean): { wire: WireFrame; transferList: ArrayBuffer[] } {
  const transferList: ArrayBuffer[] = [];
  const columns = frame.columns.map((c) => {
    if (move && isTyped(c.values) && movable(c.values, transferList))
      transferList.push(c.values.buffer as ArrayBuffer);
    return { name: c.name, type: c.type, values: c.values };
  });
  return { wire: { columns }, transferList };
}

/** A buffer can move if it is an ordinary ArrayBuffer the view covers whole, listed once. */
function movable(v: Exclude<ColumnValues, unknown[]>, listed: ArrayBuffer[]): boolean {
  const b = v.buffer;
  return (
    b instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === b.byteLength && !listed.includes(b)
  );
}

/**
 * A frame for sending back from a worker: typed arrays are copied into fresh buffers here (the
 * model may keep the arrays it returned) and those move, so the receiving thread copies nothing.
 */
export function frameToWireCopied(frame: Frame): { wire: WireFrame; transferList: ArrayBuffer[] } {
  const transferList: ArrayBuffer[] = [];
  const columns = frame.columns.map((c) => {
    if (!isTyped(c.values)) return { name: c.name, type: c.type, values: c.values };
    const values = c.values.slice() as typeof c.values;
    transferList.push(values.buffer as ArrayBuffer);
    return { name: c.name, type: c.type, values };
  });
  return { wire: { columns }, transferList };
}

export function frameFromWire(wire: WireFrame): Frame {
  return new Frame(wire.columns);
}

export function errorToWire(e: unknown): WireError {
  if (isCairnError(e)) return { code: e.code, message: e.message };
  return { code: null, message: e instanceof Error ? e.message : String(e) };
}

export function errorFromWire(e: WireError): Error {
  return e.code === null ? new Error(e.message) : new CairnError(toErrorCode(e.code), e.message);
}
