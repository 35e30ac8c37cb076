import { describe, expect, it } from 'vitest';
import type { CairnError } from '../core/errors.js';
import { type ColumnType, Frame } from '../core/frame.js';
import { coerceColumn } from './coerce.js';
import { enforceParams, enforceSignature, inferSignature } from './signature.js';
import type { ModelSignature } from './types.js';

const col = (type: ColumnType, values: unknown[]) => Frame.fromColumns({ c: values }, { c: type }).get('c')!;
const coerced = (from: ColumnType, values: unknown[], to: ColumnType) => {
  const c = coerceColumn(col(from, values), to);
  return { type: c.type, values: Array.from(c.values as ArrayLike<unknown>) };
};
const errorOf = (f: () => unknown): CairnError => {
  try {
    f();
  } catch (e) {
    return e as CairnError;
  }
  throw new Error('expected an error');
};

describe('inferSignature', () => {
  it('gives one required column spec per column, outputs too', () => {
    const inputs = Frame.fromRecords([{ age: 31, amount: 12.5, country: 'NL', new: true }]);
    const outputs = Frame.fromColumns({ score: new Float32Array([0.3]) });
    expect(inferSignature(inputs, outputs)).toEqual({
      inputs: [
        { type: 'long', name: 'age', required: true },
        { type: 'double', name: 'amount', required: true },
        { type: 'string', name: 'country', required: true },
        { type: 'boolean', name: 'new', required: true },
      ],
      outputs: [{ type: 'float', name: 'score', required: true }],
    });
  });
});

describe('coerceColumn: the matrix', () => {
  it('widens integers to floats always (mlflow#5525)', () => {
    expect(coerced('long', [1, 2], 'double')).toEqual({ type: 'double', values: [1, 2] });
    expect(coerced('integer', [1, -2], 'double')).toEqual({ type: 'double', values: [1, -2] });
    expect(coerced('long', [3], 'float')).toEqual({ type: 'float', values: [3] });
    expect(coerced('integer', [3], 'long')).toEqual({ type: 'long', values: [3] });
  });

  it('narrows long to integer when every value fits', () => {
    expect(coerced('long', [2 ** 31 - 1, -(2 ** 31)], 'integer').type).toBe('integer');
    expect(errorOf(() => coerced('long', [1, 2 ** 31], 'integer')).message).toBe(
      "Incompatible input types for column 'c': expected integer, got long (row 1 holds 2147483648, outside the integer range)",
    );
  });

  it('turns floats into integers only when every value is integral, present and in range', () => {
    expect(coerced('double', [1, 2], 'long')).toEqual({ type: 'long', values: [1, 2] });
    expect(coerced('float', [4], 'integer')).toEqual({ type: 'integer', values: [4] });
    expect(errorOf(() => coerced('double', [1, 1.5], 'long')).message).toBe(
      "Incompatible input types for column 'c': expected long, got double (row 1 holds 1.5, which is not an integer)",
    );
    expect(errorOf(() => coerced('double', [Number.NaN, 1], 'integer')).message).toMatch(/row 0 is missing/);
    expect(errorOf(() => coerced('double', [2 ** 60], 'long')).message).toMatch(/outside the long range/);
  });

  it('converts between float and double', () => {
    expect(coerced('double', [0.5], 'float')).toEqual({ type: 'float', values: [0.5] });
    expect(coerced('float', [0.25], 'double')).toEqual({ type: 'double', values: [0.25] });
  });

  it('never makes booleans from numbers, nor numbers from booleans or strings', () => {
    for (const [from, values, to] of [
      ['long', [1], 'boolean'],
      ['double', [0], 'boolean'],
      ['boolean', [true], 'long'],
      ['boolean', [true], 'double'],
      ['string', ['1'], 'double'],
      ['string', ['1'], 'long'],
      ['double', [1], 'string'],
    ] as const) {
      const e = errorOf(() => coerced(from, [...values], to));
      expect(e.code).toBe('INVALID_PARAMETER_VALUE');
      expect(e.message).toBe(`Incompatible input types for column 'c': expected ${to}, got ${from}`);
    }
  });

  it('decodes base64 strings to binary and ISO strings to datetimes', () => {
    const b = coerceColumn(col('string', ['AQID', null]), 'binary');
    expect(b.values).toEqual([new Uint8Array([1, 2, 3]), null]);
    expect(errorOf(() => coerceColumn(col('string', ['not base64!']), 'binary')).message).toMatch(
      /row 0 is not base64/,
    );
    const t = coerceColumn(col('string', ['2024-01-01T00:00:00Z']), 'datetime');
    expect(t.values[0]).toBe(Date.UTC(2024, 0, 1));
    expect(errorOf(() => coerceColumn(col('string', ['soon']), 'datetime')).message).toMatch(
      /not an ISO 8601 time/,
    );
  });

  it('lets an all-missing column become any type that can hold a missing value', () => {
    expect(coerced('double', [null, null], 'string')).toEqual({ type: 'string', values: [null, null] });
    expect(coerced('double', [null], 'float').type).toBe('float');
    expect(() => coerced('double', [null], 'long')).toThrow(/row 0 is missing/);
  });
});

describe('enforceSignature', () => {
  const sig: ModelSignature = {
    inputs: [
      { type: 'double', name: 'amount', required: true },
      { type: 'long', name: 'age', required: true },
      { type: 'string', name: 'note', required: false },
    ],
  };

  it('converts, orders by the signature and drops columns it does not name', () => {
    const f = Frame.fromRecords([
      { extra: 'x', age: 30, amount: 10 },
      { extra: 'y', age: 41, amount: 12 },
    ]);
    const out = enforceSignature(f, sig);
    expect(out.columns.map((c) => [c.name, c.type])).toEqual([
      ['amount', 'double'],
      ['age', 'long'],
    ]);
  });

  it('names every missing required column with its type', () => {
    const e = errorOf(() => enforceSignature(Frame.fromRecords([{ note: 'hi' }]), sig));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toBe(
      "Model is missing inputs: 'amount' (double), 'age' (long). Received columns: ['note']",
    );
  });

  it('reports the column, the expected and the received type', () => {
    const e = errorOf(() => enforceSignature(Frame.fromRecords([{ amount: 'ten', age: 1 }]), sig));
    expect(e.message).toBe("Incompatible input types for column 'amount': expected double, got string");
  });

  it('matches unnamed specs by position', () => {
    const out = enforceSignature(Frame.fromColumns({ a: [1], b: [2.5] }), {
      inputs: [{ type: 'double' }, { type: 'double' }],
    });
    expect(out.columns.map((c) => c.type)).toEqual(['double', 'double']);
    expect(() =>
      enforceSignature(Frame.fromColumns({ a: [1] }), { inputs: [{ type: 'long' }, { type: 'long' }] }),
    ).toThrow(/expects 2 input columns; received 1/);
  });

  it('passes frames through for tensor signatures once their columns hold numbers', () => {
    const tensor: ModelSignature = {
      inputs: [{ type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 2] } }],
    };
    const f = Frame.fromColumns({ '0': [1, 2], '1': [3, 4] });
    expect(enforceSignature(f, tensor)).toBe(f);
    expect(() => enforceSignature(Frame.fromColumns({ x: ['a'] }), tensor)).toThrow(
      /column 'x': expected numbers for a tensor of float32, got string/,
    );
  });

  it('refuses nested MLflow types it cannot feed', () => {
    expect(() =>
      enforceSignature(Frame.fromColumns({ t: ['a'] }), {
        inputs: [{ type: 'array', name: 't', items: { type: 'string' } }],
      }),
    ).toThrow(/'t' \(array\) has an MLflow type Cairn cannot feed/);
  });

  it('is a no-op without input specs', () => {
    const f = Frame.fromColumns({ a: [1] });
    expect(enforceSignature(f, undefined)).toBe(f);
    expect(enforceSignature(f, { outputs: [{ type: 'double' }] })).toBe(f);
  });
});

describe('enforceParams', () => {
  const specs = [
    { name: 'threshold', type: 'double' as const, default: 0.5, shape: null },
    { name: 'k', type: 'long' as const, default: 3, shape: null },
    { name: 'labels', type: 'string' as const, default: ['a'], shape: [-1] },
  ];

  it('fills defaults, keeps valid values and drops undeclared params', () => {
    expect(enforceParams({ threshold: 1, extra: true }, specs)).toEqual({
      threshold: 1,
      k: 3,
      labels: ['a'],
    });
    expect(enforceParams(undefined, specs)).toEqual({ threshold: 0.5, k: 3, labels: ['a'] });
    expect(enforceParams({ labels: ['x', 'y'] }, specs).labels).toEqual(['x', 'y']);
  });

  it('refuses values of the wrong type, naming the param', () => {
    expect(() => enforceParams({ k: 1.5 }, specs)).toThrow(
      "Invalid value for param 'k': expected long, got number 1.5",
    );
    expect(() => enforceParams({ threshold: 'hot' }, specs)).toThrow(
      "Invalid value for param 'threshold': expected double, got string 'hot'",
    );
    expect(() => enforceParams({ labels: 'x' }, specs)).toThrow(/expected a list of string/);
    expect(() => enforceParams({ labels: [1] }, specs)).toThrow(/expected string, got number 1/);
  });

  it('passes params through when the signature declares none', () => {
    expect(enforceParams({ a: 1 }, undefined)).toEqual({ a: 1 });
  });
});
