import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeUbjson, MAX_UBJ_DEPTH, type UbjValue } from './ubjson.js';

/** Bytes from parts: a string is its ASCII (or UTF-8) bytes, an array is raw bytes. */
function b(...parts: Array<string | number[]>): Uint8Array {
  const chunks = parts.map((p) => (typeof p === 'string' ? new TextEncoder().encode(p) : Uint8Array.from(p)));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Big-endian bytes of a number in a DataView setter's format. */
function be(set: (v: DataView) => void, size: number): number[] {
  const v = new DataView(new ArrayBuffer(size));
  set(v);
  return Array.from(new Uint8Array(v.buffer));
}
const f32 = (x: number) => be((v) => v.setFloat32(0, x), 4);
const f64 = (x: number) => be((v) => v.setFloat64(0, x), 8);
const i64 = (x: bigint) => be((v) => v.setBigInt64(0, x), 8);

describe('decodeUbjson: scalars', () => {
  it.each<[string, Uint8Array, UbjValue]>([
    ['null', b('Z'), null],
    ['true', b('T'), true],
    ['false', b('F'), false],
    ['no-ops around a value', b('NNTN'), true],
    ['int8', b('i', [0xfb]), -5],
    ['uint8', b('U', [200]), 200],
    ['int16', b('I', [0xfe, 0xd4]), -300],
    ['int32', b('l', [0x00, 0x01, 0x86, 0xa0]), 100000],
    ['int64', b('L', i64(2n ** 40n)), 2 ** 40],
    ['negative int64', b('L', i64(-(2n ** 53n) + 1n)), -(2 ** 53) + 1],
    ['float32', b('d', f32(1.5)), 1.5],
    ['float32 rounding kept', b('d', f32(0.1)), Math.fround(0.1)],
    ['float64', b('D', f64(0.1)), 0.1],
    ['char', b('C', 'a'), 'a'],
    ['string', b('S', 'i', [6], 'héllo'), 'héllo'],
    ['empty string', b('S', 'U', [0]), ''],
    ['string with a uint16 length', b('S', 'I', [0, 3], 'abc'), 'abc'],
    [
      'high-precision number (kept as text)',
      b('H', 'i', [22], '3.14159265358979323846'),
      '3.14159265358979323846',
    ],
  ])('%s', (_name, bytes, expected) => {
    expect(decodeUbjson(bytes)).toEqual(expected);
  });
});

describe('decodeUbjson: containers', () => {
  it('plain arrays and objects, nested', () => {
    const bytes = b(
      '{',
      'i',
      [1],
      'x',
      '[',
      'i',
      [1],
      'N',
      'S',
      'i',
      [1],
      'z',
      '{',
      '}',
      '[',
      ']',
      ']',
      'i',
      [1],
      'y',
      'Z',
      '}',
    );
    expect(decodeUbjson(bytes)).toEqual({ x: [1, 'z', {}, []], y: null });
  });

  it('counted containers without a type', () => {
    expect(decodeUbjson(b('[', '#', 'i', [3], 'T', 'F', 'U', [7]))).toEqual([true, false, 7]);
    expect(decodeUbjson(b('{', '#', 'i', [2], 'i', [1], 'a', 'T', 'i', [1], 'b', 'i', [4]))).toEqual({
      a: true,
      b: 4,
    });
    expect(decodeUbjson(b('[', '#', 'i', [0]))).toEqual([]);
  });

  it('typed numeric arrays decode to typed arrays', () => {
    expect(decodeUbjson(b('[$d#i', [3], ...[1.5, -2, 0.1].map(f32)))).toEqual(
      Float32Array.from([1.5, -2, 0.1]),
    );
    expect(decodeUbjson(b('[$D#i', [2], ...[0.1, -1e300].map(f64)))).toEqual(
      Float64Array.from([0.1, -1e300]),
    );
    expect(decodeUbjson(b('[$l#U', [2], [0xff, 0xff, 0xff, 0xff], [0, 0, 0, 7]))).toEqual(
      Int32Array.from([-1, 7]),
    );
    expect(decodeUbjson(b('[$I#i', [2], [0x80, 0], [0, 1]))).toEqual(Int16Array.from([-32768, 1]));
    expect(decodeUbjson(b('[$i#i', [2], [0xff, 5]))).toEqual(Int8Array.from([-1, 5]));
    expect(decodeUbjson(b('[$U#i', [3], [0, 1, 255]))).toEqual(Uint8Array.from([0, 1, 255]));
    expect(decodeUbjson(b('[$L#i', [2], i64(-3n), i64(2n ** 50n)))).toEqual(Float64Array.from([-3, 2 ** 50]));
    expect(decodeUbjson(b('[$d#i', [0]))).toEqual(new Float32Array(0));
  });

  it('typed arrays of other types', () => {
    expect(decodeUbjson(b('[$S#i', [2], 'i', [1], 'a', 'i', [2], 'bc'))).toEqual(['a', 'bc']);
    expect(decodeUbjson(b('[$Z#i', [3]))).toEqual([null, null, null]);
    expect(decodeUbjson(b('[$T#i', [2]))).toEqual([true, true]);
    expect(decodeUbjson(b('[$C#i', [2], 'xy'))).toEqual(['x', 'y']);
    // An array of arrays: each element's '[' is implied by the type.
    expect(decodeUbjson(b('[$[#i', [2], ']', 'i', [1], ']'))).toEqual([[], [1]]);
  });

  it('typed objects', () => {
    expect(decodeUbjson(b('{$i#i', [2], 'i', [1], 'a', [1], 'i', [1], 'b', [0xfe]))).toEqual({ a: 1, b: -2 });
    expect(decodeUbjson(b('{$d#i', [1], 'i', [1], 'w', f32(0.5)))).toEqual({ w: 0.5 });
  });

  it("keeps '__proto__' an own key, never the prototype", () => {
    const v = decodeUbjson(b('{', 'i', [9], '__proto__', '{', 'i', [1], 'p', 'T', '}', '}')) as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect((v as { p?: unknown }).p).toBeUndefined();
  });

  it('the form XGBoost writes (int64 key lengths, typed float32/int32/uint8 arrays)', () => {
    const key = (k: string) => Array.from(b('L', i64(BigInt(k.length)), k));
    const bytes = b(
      '{',
      key('tree'),
      '{',
      key('split_conditions'),
      '[$d#L',
      i64(2n),
      f32(0.25),
      f32(-1),
      key('left_children'),
      '[$l#L',
      i64(1n),
      [0, 0, 0, 1],
      key('default_left'),
      '[$U#L',
      i64(1n),
      [1],
      key('name'),
      'S',
      key('gbtree'),
      '}',
      '}',
    );
    expect(decodeUbjson(bytes)).toEqual({
      tree: {
        split_conditions: Float32Array.from([0.25, -1]),
        left_children: Int32Array.from([1]),
        default_left: Uint8Array.from([1]),
        name: 'gbtree',
      },
    });
  });
});

describe('decodeUbjson: malformed input is refused with the byte offset', () => {
  it.each<[string, Uint8Array, RegExp]>([
    ['empty input', b(), /byte 0: unexpected end of data/],
    ['unknown marker', b('X'), /unknown type marker 0x58/],
    ['truncated number', b('l', [0, 0]), /unexpected end of data/],
    ['truncated string', b('S', 'i', [5], 'ab'), /unexpected end of data/],
    ['negative length', b('S', 'i', [0xff]), /negative length -1/],
    ['length not an integer', b('S', 'd', f32(1)), /expected an integer length/],
    ['invalid UTF-8', b('S', 'i', [2], [0xc3, 0x28]), /not valid UTF-8/],
    ['bad high-precision number', b('H', 'i', [3], 'abc'), /invalid high-precision number/],
    ['int64 beyond 2^53', b('L', i64(2n ** 60n)), /does not fit a double/],
    ['typed container without a count', b('[$d', f32(1), ']'), /needs a count/],
    ['count beyond the data', b('[$d#i', [5], f32(1)), /count 5 exceeds the data left/],
    ['huge count', b('[#L', i64(2n ** 40n), 'T'), /exceeds the data left/],
    ['unterminated array', b('[', 'T'), /unexpected end of data/],
    ['unterminated object', b('{', 'i', [1], 'a', 'T'), /unexpected end of data/],
    ['no-op as a typed element type', b('[$N#i', [1]), /invalid container type/],
    ['trailing bytes', b('T', 'T'), /1 trailing bytes/],
  ])('%s', (_name, bytes, message) => {
    expect(() => decodeUbjson(bytes)).toThrow(message);
    try {
      decodeUbjson(bytes);
    } catch (e) {
      expect(e).toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    }
  });

  it('refuses nesting deeper than the limit without overflowing the stack', () => {
    const deep = b('['.repeat(MAX_UBJ_DEPTH + 1), ']'.repeat(MAX_UBJ_DEPTH + 1));
    expect(() => decodeUbjson(deep)).toThrow(/nesting deeper than 512/);
    const ok = b('['.repeat(MAX_UBJ_DEPTH), ']'.repeat(MAX_UBJ_DEPTH));
    expect(() => decodeUbjson(ok)).not.toThrow();
  });
});

describe('decodeUbjson: an XGBoost model', () => {
  it("decodes XGBoost's UBJ to the same document as its JSON (float32 values compared as float32)", async () => {
    const dir = new URL('../../../test/fixtures/models/xgboost/multiclass/', import.meta.url);
    const ubj = decodeUbjson(await readFile(fileURLToPath(new URL('ubj/model.ubj', dir))));
    const json = JSON.parse(
      await readFile(fileURLToPath(new URL('json/model.json', dir)), 'utf8'),
    ) as UbjValue;
    expect(normalise(ubj)).toEqual(normalise(json));
  });
});

function normalise(v: UbjValue): unknown {
  if (typeof v === 'number') return Math.fround(v);
  if (ArrayBuffer.isView(v)) return Array.from(v as ArrayLike<number>, (x) => Math.fround(x));
  if (Array.isArray(v)) return v.map(normalise);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]));
  }
  return v;
}
