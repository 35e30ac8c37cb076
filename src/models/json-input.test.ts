import { describe, expect, it } from 'vitest';
import { frameFromMlflowJson, parseMlflowJson } from './json-input.js';

const shape = (body: unknown) => {
  const f = frameFromMlflowJson(body);
  return { columns: f.columns.map((c) => `${c.name}:${c.type}`), records: f.toRecords() };
};

describe('MLflow JSON input shapes', () => {
  it('dataframe_split, with and without columns, index ignored', () => {
    expect(
      shape({
        dataframe_split: {
          columns: ['a', 'b'],
          data: [
            [1, 'x'],
            [2, null],
          ],
          index: [7, 8],
        },
      }),
    ).toEqual({
      columns: ['a:long', 'b:string'],
      records: [
        { a: 1, b: 'x' },
        { a: 2, b: null },
      ],
    });
    expect(shape({ dataframe_split: { data: [[1.5, 2]] } }).columns).toEqual(['0:double', '1:long']);
  });

  it('dataframe_records, missing keys and nulls making integer columns double', () => {
    expect(
      shape({
        dataframe_records: [
          { a: 1, b: true },
          { a: null, b: false },
        ],
      }).columns,
    ).toEqual(['a:double', 'b:boolean']);
  });

  it('instances / inputs as records, rows, scalars and column dicts', () => {
    expect(shape({ instances: [{ a: 1 }, { a: 2 }] }).columns).toEqual(['a:long']);
    expect(
      shape({
        inputs: [
          [1, 2.5],
          [3, 4],
        ],
      }).columns,
    ).toEqual(['0:long', '1:double']);
    expect(shape({ inputs: [1, 2, 3] }).columns).toEqual(['0:long']);
    expect(shape({ inputs: { a: [1, 2], b: ['x', 'y'] } }).columns).toEqual(['a:long', 'b:string']);
    expect(shape({ inputs: { a: 1, b: 'x' } })).toEqual({
      columns: ['a:long', 'b:string'],
      records: [{ a: 1, b: 'x' }],
    });
  });

  it('spreads a tensor column (list of lists) over numbered columns', () => {
    expect(
      shape({
        inputs: {
          x: [
            [1, 2],
            [3, 4],
          ],
          y: [5, 6],
        },
      }),
    ).toEqual({
      columns: ['x_0:long', 'x_1:long', 'y:long'],
      records: [
        { x_0: 1, x_1: 2, y: 5 },
        { x_0: 3, x_1: 4, y: 6 },
      ],
    });
  });

  it('reads params and JSON text', () => {
    const r = parseMlflowJson('{"dataframe_records": [{"a": 1}], "params": {"k": 2}}');
    expect(r.params).toEqual({ k: 2 });
    expect(r.frame.length).toBe(1);
  });

  it('refuses bodies without exactly one input field, with the fields named', () => {
    expect(() => parseMlflowJson({ data: [] })).toThrow(
      'Invalid input: the JSON object must hold exactly one of the fields {dataframe_split, dataframe_records, instances, inputs}; received fields [data]',
    );
    expect(() => parseMlflowJson({ inputs: [1], instances: [1] })).toThrow(/exactly one/);
    expect(() => parseMlflowJson([{ a: 1 }])).toThrow(/expected a JSON object/);
    expect(() => parseMlflowJson('{')).toThrow(/Invalid JSON input/);
  });

  it('refuses malformed shapes clearly', () => {
    expect(() => frameFromMlflowJson({ dataframe_split: { columns: ['a', 'b'], data: [[1]] } })).toThrow(
      'Invalid dataframe_split input: row 0 must be a list of 2 values',
    );
    expect(() => frameFromMlflowJson({ dataframe_records: [1, 2] })).toThrow(/list of objects/);
    expect(() => frameFromMlflowJson({ inputs: [[[1]]] })).toThrow(/more than 2 dimensions/);
    expect(() => frameFromMlflowJson({ inputs: [[1, 2], [3]] })).toThrow(/row 1 has 1 values, not 2/);
    expect(() => frameFromMlflowJson({ inputs: { a: [1, 2], b: 3 } })).toThrow(/column 'b' must be a list/);
    expect(() => frameFromMlflowJson({ inputs: [{ a: 1 }], params: [1] })).toThrow(
      /'params' must be an object/,
    );
    expect(() => frameFromMlflowJson({ dataframe_records: [{ a: 1 }, { a: 'x' }] })).toThrow(
      /Column 'a' mixes/,
    );
  });
});
