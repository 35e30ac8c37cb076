import { invalidParam } from '../../core/errors.js';

/**
 * A decoded Universal Binary JSON value (ubjson.org, draft 12). Strongly typed containers of
 * numbers (`[$d#…`) decode to typed arrays: `i` Int8Array, `U` Uint8Array, `I` Int16Array,
 * `l` Int32Array, `L` Float64Array, `d` Float32Array, `D` Float64Array. An int64 must fit in a
 * double exactly (|v| ≤ 2^53) or decoding fails. A high-precision number (`H`) stays a string so no
 * digit is lost; a char (`C`) is a one-character string.
 */
export type UbjValue =
  | null
  | boolean
  | number
  | string
  | UbjValue[]
  | UbjObject
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | Float32Array
  | Float64Array;

export interface UbjObject {
  [key: string]: UbjValue;
}

/** Containers nested deeper than this are refused (a hostile file must not overflow the stack). */
export const MAX_UBJ_DEPTH = 512;

const NUMBER_SIZE: Record<string, number> = { i: 1, U: 1, I: 2, l: 4, L: 8, d: 4, D: 8 };
const HIGH_PRECISION = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes one UBJSON value that spans the whole buffer. Throws INVALID_PARAMETER_VALUE on bad input. */
export function decodeUbjson(bytes: Uint8Array): UbjValue {
  const reader = new Reader(bytes);
  reader.skipNoOps();
  const value = reader.value(reader.marker(), 0);
  reader.skipNoOps();
  if (reader.pos !== bytes.length) throw reader.fail(`${bytes.length - reader.pos} trailing bytes`);
  return value;
}

class Reader {
  pos = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(problem: string): Error {
    return invalidParam(`Malformed UBJSON at byte ${this.pos}: ${problem}`);
  }

  private need(n: number): void {
    if (n > this.bytes.length - this.pos) throw this.fail('unexpected end of data');
  }

  /** The next type marker (1 byte), as a one-character string. */
  marker(): string {
    this.need(1);
    return String.fromCharCode(this.bytes[this.pos++]!);
  }

  skipNoOps(): void {
    while (this.pos < this.bytes.length && this.bytes[this.pos] === 0x4e /* N */) this.pos++;
  }

  private peek(): string {
    this.need(1);
    return String.fromCharCode(this.bytes[this.pos]!);
  }

  value(marker: string, depth: number): UbjValue {
    switch (marker) {
      case 'Z':
        return null;
      case 'T':
        return true;
      case 'F':
        return false;
      case 'S':
        return this.string();
      case 'C':
        this.need(1);
        return String.fromCharCode(this.bytes[this.pos++]!);
      case 'H': {
        const text = this.string();
        if (!HIGH_PRECISION.test(text))
          throw this.fail(`invalid high-precision number '${text.slice(0, 40)}'`);
        return text;
      }
      case '[':
        return this.array(depth + 1);
      case '{':
        return this.object(depth + 1);
      case 'N':
        throw this.fail('no-op marker where a value is required');
      default:
        if (marker in NUMBER_SIZE) return this.number(marker);
        throw this.fail(`unknown type marker 0x${marker.charCodeAt(0).toString(16).padStart(2, '0')}`);
    }
  }

  private number(marker: string): number {
    const size = NUMBER_SIZE[marker]!;
    this.need(size);
    const at = this.pos;
    this.pos += size;
    const v = this.view;
    switch (marker) {
      case 'i':
        return v.getInt8(at);
      case 'U':
        return v.getUint8(at);
      case 'I':
        return v.getInt16(at);
      case 'l':
        return v.getInt32(at);
      case 'd':
        return v.getFloat32(at);
      case 'D':
        return v.getFloat64(at);
      default: {
        const big = v.getBigInt64(at);
        if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(-Number.MAX_SAFE_INTEGER)) {
          this.pos = at;
          throw this.fail(`int64 ${big} does not fit a double exactly`);
        }
        return Number(big);
      }
    }
  }

  /** A length or count: any integer marker, and not negative. */
  private length(): number {
    const marker = this.marker();
    if (!'iUIlL'.includes(marker)) throw this.fail(`expected an integer length, got marker '${marker}'`);
    const n = this.number(marker);
    if (n < 0) throw this.fail(`negative length ${n}`);
    return n;
  }

  private string(): string {
    const n = this.length();
    this.need(n);
    const start = this.pos;
    this.pos += n;
    try {
      return utf8.decode(this.bytes.subarray(start, start + n));
    } catch {
      this.pos = start;
      throw this.fail('string is not valid UTF-8');
    }
  }

  /** Reads an optimized container header (`$type` and/or `#count`), if present. */
  private header(): { type: string | null; count: number | null } {
    let type: string | null = null;
    if (this.peek() === '$') {
      this.pos++;
      type = this.marker();
      if (type === 'N' || type === ']' || type === '}' || type === '$' || type === '#') {
        throw this.fail(`invalid container type '${type}'`);
      }
      if (this.peek() !== '#') throw this.fail("a typed container needs a count ('#')");
    }
    let count: number | null = null;
    if (this.peek() === '#') {
      this.pos++;
      count = this.length();
      // Every element takes at least one byte unless its type has no payload (Z, T, F).
      const min = type === null ? 1 : type in NUMBER_SIZE ? NUMBER_SIZE[type]! : 'ZTF'.includes(type) ? 0 : 1;
      if (count * min > this.bytes.length - this.pos) throw this.fail(`count ${count} exceeds the data left`);
    }
    return { type, count };
  }

  private array(depth: number): UbjValue {
    if (depth > MAX_UBJ_DEPTH) throw this.fail(`nesting deeper than ${MAX_UBJ_DEPTH}`);
    const { type, count } = this.header();
    if (type !== null && type in NUMBER_SIZE) return this.typedArray(type, count!);
    const out: UbjValue[] = [];
    if (count !== null) {
      for (let i = 0; i < count; i++) out.push(this.value(type ?? this.elementMarker(), depth));
      return out;
    }
    for (;;) {
      this.skipNoOps();
      const m = this.marker();
      if (m === ']') return out;
      out.push(this.value(m, depth));
    }
  }

  /** In a counted container without a type, no-ops may pad elements; skip them. */
  private elementMarker(): string {
    this.skipNoOps();
    return this.marker();
  }

  private typedArray(type: string, count: number): UbjValue {
    const size = NUMBER_SIZE[type]!;
    const v = this.view;
    let at = this.pos;
    this.pos += count * size;
    switch (type) {
      case 'U':
        return this.bytes.slice(at, at + count);
      case 'i':
        return new Int8Array(this.bytes.slice(at, at + count).buffer);
      case 'I': {
        const out = new Int16Array(count);
        for (let i = 0; i < count; i++, at += 2) out[i] = v.getInt16(at);
        return out;
      }
      case 'l': {
        const out = new Int32Array(count);
        for (let i = 0; i < count; i++, at += 4) out[i] = v.getInt32(at);
        return out;
      }
      case 'd': {
        const out = new Float32Array(count);
        for (let i = 0; i < count; i++, at += 4) out[i] = v.getFloat32(at);
        return out;
      }
      case 'D': {
        const out = new Float64Array(count);
        for (let i = 0; i < count; i++, at += 8) out[i] = v.getFloat64(at);
        return out;
      }
      default: {
        const out = new Float64Array(count);
        this.pos = at;
        for (let i = 0; i < count; i++) out[i] = this.number('L');
        return out;
      }
    }
  }

  private object(depth: number): UbjObject {
    if (depth > MAX_UBJ_DEPTH) throw this.fail(`nesting deeper than ${MAX_UBJ_DEPTH}`);
    const { type, count } = this.header();
    const out: UbjObject = {};
    const put = (key: string, value: UbjValue) => {
      // Own property even for '__proto__', as JSON.parse does; never a prototype change.
      if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true });
      else out[key] = value;
    };
    if (count !== null) {
      for (let i = 0; i < count; i++) {
        if (type === null) this.skipNoOps();
        const key = this.string();
        put(key, this.value(type ?? this.marker(), depth));
      }
      return out;
    }
    for (;;) {
      this.skipNoOps();
      if (this.peek() === '}') {
        this.pos++;
        return out;
      }
      const key = this.string();
      put(key, this.value(this.marker(), depth));
    }
  }
}
