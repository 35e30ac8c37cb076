import { describe, expect, it } from 'vitest';
import { Frame, inferColumnType, parseIsoTime } from './frame.js';

describe('Frame.fromRecords', () => {
  it('infers types as pandas → MLflow would', () => {
    const f = Frame.fromRecords([
      { n: 1, x: 1.5, s: 'a', b: true },
      { n: 2, x: 2, s: 'b', b: false },
    ]);
    expect(f.columns.map((c) => [c.name, c.type])).toEqual([
      ['n', 'long'],
      ['x', 'double'],
      ['s', 'string'],
      ['b', 'boolean'],
    ]);
    expect(f.get('n')!.values).toBeInstanceOf(Float64Array);
    expect(f.get('b')!.values).toEqual(new Uint8Array([1, 0]));
    expect(f.toRecords()).toEqual([
      { n: 1, x: 1.5, s: 'a', b: true },
      { n: 2, x: 2, s: 'b', b: false },
    ]);
  });

  it('treats null, undefined and absent keys as missing; a missing integer makes the column double', () => {
    const f = Frame.fromRecords([{ n: 1, s: 'a' }, { n: null }, { s: null, extra: 3 }]);
    expect(f.names).toEqual(['n', 's', 'extra']);
    expect(f.get('n')!.type).toBe('double');
    expect(Array.from(f.get('n')!.values as Float64Array)).toEqual([1, Number.NaN, Number.NaN]);
    expect(f.get('s')!.values).toEqual(['a', null, null]);
    expect(f.value('extra', 0)).toBeNull();
  });

  it('honours explicit types', () => {
    const f = Frame.fromRecords([{ a: 1, t: '2024-01-01 12:00:00' }], { a: 'integer', t: 'datetime' });
    expect(f.get('a')!.values).toEqual(new Int32Array([1]));
    expect(f.get('t')!.values[0]).toBe(Date.UTC(2024, 0, 1, 12));
  });

  it('refuses mixed, nested and impossible values with the column named', () => {
    expect(() => Frame.fromRecords([{ a: 1 }, { a: 'x' }])).toThrow(/Column 'a' mixes number and string/);
    expect(() => Frame.fromRecords([{ a: 1 }, { a: true }])).toThrow(/mixes number and boolean/);
    expect(() => Frame.fromRecords([{ a: [1] }])).toThrow(/Column 'a' holds an array at row 0/);
    expect(() => Frame.fromRecords([{ a: true }, { a: null }])).toThrow(/cannot hold a missing value/);
    expect(() => Frame.fromRecords([{ a: 1.5 }], { a: 'long' })).toThrow(
      /expects long values; got 1.5 at row 0/,
    );
    expect(() => Frame.fromRecords([{ a: 2 ** 31 }], { a: 'integer' })).toThrow(/32-bit/);
    expect(() => Frame.fromRecords([{ a: 1 }], { a: 'boolean' })).toThrow(/expects boolean/);
  });
});

describe('Frame.fromColumns', () => {
  it('keeps typed arrays and infers plain arrays', () => {
    const f = Frame.fromColumns({
      d: new Float64Array([1, 2]),
      f: new Float32Array([1, 2]),
      i: new Int32Array([1, 2]),
      b: new Uint8Array([1, 0]),
      l: new BigInt64Array([1n, 2n]),
      n: [1, 2],
      s: ['a', null],
    });
    expect(f.columns.map((c) => c.type)).toEqual([
      'double',
      'float',
      'integer',
      'boolean',
      'long',
      'long',
      'string',
    ]);
    expect(f.length).toBe(2);
  });

  it('refuses columns of different lengths', () => {
    expect(() => Frame.fromColumns({ a: [1], b: [1, 2] })).toThrow(
      /Column 'b' has 2 values; the frame has 1 rows/,
    );
  });
});

describe('inference helpers', () => {
  it('types an all-missing column as double and big integers as double', () => {
    expect(inferColumnType('a', [null, undefined])).toBe('double');
    expect(inferColumnType('a', [2 ** 60])).toBe('double');
    expect(inferColumnType('a', [new Date(0)])).toBe('datetime');
    expect(inferColumnType('a', [new Uint8Array([1])])).toBe('binary');
  });

  it('reads times without an offset as UTC', () => {
    expect(parseIsoTime('2024-01-01 12:00:00.000000')).toBe(Date.UTC(2024, 0, 1, 12));
    expect(parseIsoTime('2024-01-01T12:00:00+01:00')).toBe(Date.UTC(2024, 0, 1, 11));
  });
});
