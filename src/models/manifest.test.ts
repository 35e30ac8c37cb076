import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatUtcTime, newModelUuid, parseManifest, readManifest, stringifyManifest } from './manifest.js';
import { PyFloat, pyFloatRepr, pyJsonDumps } from './py-json.js';
import { encodeSignature } from './signature-codec.js';

const layout = (name: string) =>
  fileURLToPath(new URL(`../../test/fixtures/models/mlflow-layout/${name}`, import.meta.url));

describe('MLmodel files MLflow writes', () => {
  it('reads an MLflow 3 onnx MLmodel: flavors, ids, signature, params, example info', async () => {
    const m = await readManifest(layout('onnx-mlflow3'));
    expect(m.flavors.onnx).toMatchObject({ data: 'model.onnx', onnx_session_options: null, code: null });
    expect(m.flavors.python_function).toMatchObject({
      loader_module: 'mlflow.onnx',
      env: { conda: 'conda.yaml' },
    });
    expect(m.model_id).toBe('m-5f1c2a9e8d7b4c3a9e1f2d3c4b5a6978');
    expect(m.utc_time_created).toBe('2025-09-30 14:02:11.508249');
    expect(m.signature!.inputs).toHaveLength(4);
    expect(m.signature!.inputs![3]).toEqual({ type: 'double', name: 'x3', required: true });
    expect(m.signature!.outputs![0]).toEqual({
      type: 'tensor',
      'tensor-spec': { dtype: 'float32', shape: [-1, 1] },
    });
    expect(m.signature!.params).toEqual([{ name: 'threshold', type: 'double', default: 0.5, shape: null }]);
    expect(m.saved_input_example_info).toMatchObject({ serving_input_path: 'serving_input_example.json' });
    expect(m.prompts).toBeNull();
    expect(m.metadata).toEqual({ team: 'fraud' });
  });

  it('round-trips both fixtures byte for byte (PyYAML layout, line folding included)', async () => {
    for (const dir of ['onnx-mlflow2', 'onnx-mlflow3']) {
      const text = await readFile(`${layout(dir)}/MLmodel`, 'utf8');
      expect(stringifyManifest(parseManifest(text))).toBe(text);
    }
  });

  it('folds long scalars where PyYAML does', () => {
    const text = stringifyManifest({
      flavors: {},
      artifact_path:
        'a b c d e f g h i j k l m n o p q r s t u v w x y z aa bb cc dd ee ff gg hh ii jj kk ll',
      metadata: { lst: ['x y z '.repeat(16)], q: `[x  y]${' w'.repeat(40)}` },
    });
    // Expected text produced by PyYAML 6.0's safe_dump(default_flow_style=False) on the same data.
    expect(text).toBe(
      [
        'artifact_path: a b c d e f g h i j k l m n o p q r s t u v w x y z aa bb cc dd ee',
        '  ff gg hh ii jj kk ll',
        'flavors: {}',
        'metadata:',
        '  lst:',
        "  - 'x y z x y z x y z x y z x y z x y z x y z x y z x y z x y z x y z x y z x y z",
        "    x y z x y z x y z '",
        "  q: '[x  y] w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w",
        "    w w w w w'",
        '',
      ].join('\n'),
    );
    expect(parse(text).metadata.q).toBe(`[x  y]${' w'.repeat(40)}`);
  });

  it('writes the layout MLflow writes: sorted keys, unindented lists, quoted times, JSON signature strings', () => {
    const text = stringifyManifest({
      utc_time_created: '2024-01-01 12:00:00.000000',
      flavors: {
        onnx: { data: 'model.onnx', providers: ['CPUExecutionProvider'], code: null },
        python_function: { loader_module: 'mlflow.onnx', data: 'model.onnx' },
      },
      model_uuid: 'a'.repeat(32),
      artifact_path: 'model',
      signature: { inputs: [{ type: 'double', name: 'x', required: true }] },
      saved_input_example_info: {
        artifact_path: 'input_example.json',
        type: 'dataframe',
        pandas_orient: 'split',
      },
      future_key: { kept: 'yes' },
    });
    expect(text).toBe(
      [
        'artifact_path: model',
        'flavors:',
        '  onnx:',
        '    code: null',
        '    data: model.onnx',
        '    providers:',
        '    - CPUExecutionProvider',
        '  python_function:',
        '    data: model.onnx',
        '    loader_module: mlflow.onnx',
        'future_key:',
        "  kept: 'yes'",
        `model_uuid: ${'a'.repeat(32)}`,
        'saved_input_example_info:',
        '  artifact_path: input_example.json',
        '  pandas_orient: split',
        '  type: dataframe',
        'signature:',
        `  inputs: '[{"type": "double", "name": "x", "required": true}]'`,
        '  outputs: null',
        '  params: null',
        "utc_time_created: '2024-01-01 12:00:00.000000'",
        '',
      ].join('\n'),
    );
  });

  it('encodes specs in MLflow key order, tensors and params included', () => {
    const enc = encodeSignature({
      inputs: [{ name: 'img', type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 28, 28] } }],
      outputs: [{ type: 'long', name: 'label' }],
      params: [
        { name: 'temperature', type: 'double', default: 1, shape: null },
        { name: 'top', type: 'long', default: [1, 2], shape: [-1] },
      ],
    });
    expect(enc.inputs).toBe(
      '[{"name": "img", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 28, 28]}}]',
    );
    expect(enc.outputs).toBe('[{"type": "long", "name": "label", "required": true}]');
    expect(enc.params).toBe(
      '[{"name": "temperature", "default": 1.0, "shape": null, "type": "double"}, ' +
        '{"name": "top", "default": [1, 2], "shape": [-1], "type": "long"}]',
    );
  });

  it('keeps nested MLflow types (array, object) through a round trip', () => {
    const text = `flavors: {}\nsignature:\n  inputs: '[{"type": "array", "items": {"type": "string"}, "name": "tags", "required": false}]'\n`;
    const m = parseManifest(text);
    expect(m.signature!.inputs![0]).toEqual({
      type: 'array',
      items: { type: 'string' },
      name: 'tags',
      required: false,
    });
    expect(parse(stringifyManifest(m)).signature.inputs).toBe(
      '[{"type": "array", "items": {"type": "string"}, "name": "tags", "required": false}]',
    );
  });

  it('refuses invalid files with a clear error', () => {
    const bad = (text: string) => () => parseManifest(text, 'MLmodel');
    expect(bad('flavors: [')).toThrow(/Invalid MLmodel: not valid YAML/);
    expect(bad('- a\n- b\n')).toThrow(/top level/);
    expect(bad('run_id: x\n')).toThrow(/'flavors' must be a mapping/);
    expect(bad('flavors:\n  onnx: 3\n')).toThrow(/flavor 'onnx' must be a mapping/);
    expect(bad('flavors: {}\nsignature:\n  inputs: \'[{"type": "decimal"}]\'\n')).toThrow(
      /unknown type "decimal"/,
    );
    expect(bad("flavors: {}\nsignature:\n  inputs: 'not json'\n")).toThrow(/not valid JSON/);
    expect(bad('flavors: {}\nsignature:\n  inputs: \'[{"type": "tensor"}]\'\n')).toThrow(/tensor-spec/);
    expect(bad('flavors: {}\nrun_id: [1]\n')).toThrow(/'run_id' must be a string/);
    try {
      parseManifest('flavors: [', 'MLmodel');
    } catch (e) {
      expect((e as { code: string }).code).toBe('INVALID_PARAMETER_VALUE');
    }
  });

  it('formats times and uuids as MLflow does', () => {
    expect(formatUtcTime(new Date(Date.UTC(2024, 0, 1, 12, 0, 0, 5)))).toBe('2024-01-01 12:00:00.005000');
    expect(newModelUuid()).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('Python-style JSON', () => {
  it('matches json.dumps', () => {
    expect(pyJsonDumps({ a: [1, new PyFloat(2)], é: 'ü\n', n: null })).toBe(
      '{"a": [1, 2.0], "\\u00e9": "\\u00fc\\n", "n": null}',
    );
    expect(pyJsonDumps({ a: [[1]], e: [] }, 2)).toBe(
      '{\n  "a": [\n    [\n      1\n    ]\n  ],\n  "e": []\n}',
    );
    expect(pyJsonDumps([Number.NaN, 0.1])).toBe('[NaN, 0.1]');
  });

  it('writes floats as Python repr does', () => {
    expect(pyFloatRepr(1)).toBe('1.0');
    expect(pyFloatRepr(1e-5)).toBe('1e-05');
    expect(pyFloatRepr(0.0001)).toBe('0.0001');
    expect(pyFloatRepr(1.5e16)).toBe('1.5e+16');
    expect(pyFloatRepr(123456789012345.6)).toBe('123456789012345.6');
    expect(pyFloatRepr(-0)).toBe('-0.0');
    expect(pyFloatRepr(Math.fround(0.1))).toBe('0.10000000149011612');
  });
});
