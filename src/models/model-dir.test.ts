import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Frame } from '../core/frame.js';
import { frameFromMlflowJson } from './json-input.js';
import { readManifest } from './manifest.js';
import { loadModel, saveModel } from './model-dir.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/models/', import.meta.url));
const LINEAR = await readFile(join(FIXTURES, 'onnx/linear.onnx'));
const W = [0.5, -1.25, 2.0, 0.125];
const linear = (row: number[]) => row.reduce((s, v, i) => s + v * W[i]!, 0.75);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-model-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const errorOf = async (p: Promise<unknown>) =>
  p.then(
    () => Promise.reject(new Error('expected an error')),
    (e) => e,
  );

describe('saveModel + loadModel (onnx)', () => {
  const example = Frame.fromRecords([
    { f1: 1, f2: 2, f3: 3, f4: 4 },
    { f1: 0.5, f2: 0, f3: -1, f4: 2 },
  ]);

  it('writes MLflow’s layout and loads it back with the signature enforced', async () => {
    const target = join(dir, 'model');
    const manifest = await saveModel(target, {
      flavor: 'onnx',
      files: { 'model.onnx': LINEAR },
      signature: {
        inputs: ['f1', 'f2', 'f3', 'f4'].map((name) => ({ type: 'double' as const, name, required: true })),
      },
      inputExample: example,
      runId: 'r'.repeat(32),
      artifactPath: 'model',
      metadata: { owner: 'fraud' },
      createdAt: new Date(Date.UTC(2024, 0, 1, 12)),
    });
    const yaml = parse(await readFile(join(target, 'MLmodel'), 'utf8'));
    expect(yaml).toMatchObject({
      artifact_path: 'model',
      flavors: {
        onnx: {
          code: null,
          data: 'model.onnx',
          providers: ['CUDAExecutionProvider', 'CPUExecutionProvider'],
        },
        python_function: {
          data: 'model.onnx',
          env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' },
          loader_module: 'mlflow.onnx',
        },
      },
      run_id: 'r'.repeat(32),
      utc_time_created: '2024-01-01 12:00:00.000000',
      mlflow_version: '2.22.0',
      metadata: { owner: 'fraud' },
      saved_input_example_info: {
        artifact_path: 'input_example.json',
        type: 'dataframe',
        pandas_orient: 'split',
        serving_input_path: 'serving_input_example.json',
      },
      signature: {
        inputs:
          '[{"type": "double", "name": "f1", "required": true}, {"type": "double", "name": "f2", "required": true}, {"type": "double", "name": "f3", "required": true}, {"type": "double", "name": "f4", "required": true}]',
        outputs: null,
        params: null,
      },
    });
    expect(yaml.model_uuid).toMatch(/^[0-9a-f]{32}$/);
    expect(yaml.model_size_bytes).toBe(manifest.model_size_bytes);
    expect(await readFile(join(target, 'input_example.json'), 'utf8')).toBe(
      // f1 is double (it holds 0.5), f2..f4 are long: pandas would type and write them the same way.
      '{"columns": ["f1", "f2", "f3", "f4"], "data": [[1.0, 2, 3, 4], [0.5, 0, -1, 2]]}',
    );
    const serving = await readFile(join(target, 'serving_input_example.json'), 'utf8');
    expect(serving.startsWith('{\n  "dataframe_split": {\n    "columns": [\n      "f1",')).toBe(true);
    expect(await readFile(join(target, 'requirements.txt'), 'utf8')).toBe('mlflow\nonnx\nonnxruntime');
    expect(parse(await readFile(join(target, 'python_env.yaml'), 'utf8')).python).toBe('3.10');

    const model = await loadModel(target);
    expect(model.flavor).toBe('onnx');
    expect(model.metadata).toEqual({ owner: 'fraud' });
    // Integers are widened to the signature's double, extra columns dropped, order fixed.
    const out = await model.predict(Frame.fromRecords([{ extra: 'x', f4: 4, f3: 3, f2: 2, f1: 1 }]));
    expect(out.get('y')!.values[0]).toBeCloseTo(linear([1, 2, 3, 4]), 5);
    await expect(model.predict(Frame.fromRecords([{ f1: 1, f2: 2, f3: 3 }]))).rejects.toThrow(
      "Model is missing inputs: 'f4' (double)",
    );
    await expect(model.predict(Frame.fromRecords([{ f1: 'a', f2: 2, f3: 3, f4: 1 }]))).rejects.toThrow(
      "Incompatible input types for column 'f1': expected double, got string",
    );
    const ex = await model.inputExample();
    expect(ex!.frame.toRecords()).toEqual(example.toRecords());
    // The example the model carries is a valid input for it.
    expect((await model.predict(ex!.frame)).length).toBe(2);
    const body = JSON.parse(serving);
    expect((await model.predict(frameFromMlflowJson(body))).length).toBe(2);
    await model.close();
  });

  it('saves params with the example and refuses unsafe or missing files', async () => {
    const target = join(dir, 'p');
    await saveModel(target, {
      flavor: 'onnx',
      files: { 'model.onnx': LINEAR },
      inputExample: { frame: example, params: { threshold: 0.5 } },
    });
    expect(JSON.parse(await readFile(join(target, 'input_example.json'), 'utf8')).params).toEqual({
      threshold: 0.5,
    });
    expect((await readManifest(target)).saved_input_example_info).toMatchObject({ params: 'true' });
    const m = await loadModel(target);
    expect((await m.inputExample())!.params).toEqual({ threshold: 0.5 });
    await m.close();

    expect((await errorOf(saveModel(target, { flavor: 'onnx', files: { 'model.onnx': LINEAR } }))).code).toBe(
      'RESOURCE_ALREADY_EXISTS',
    );
    await expect(
      saveModel(join(dir, 'q'), { flavor: 'onnx', files: { '../x.onnx': LINEAR } }),
    ).rejects.toThrow(/'\.\.'/);
    await expect(
      saveModel(join(dir, 'r'), { flavor: 'onnx', files: { 'other.onnx': LINEAR } }),
    ).rejects.toThrow("The onnx flavor's data 'model.onnx' is not among the model's files");
    await expect(
      saveModel(join(dir, 's'), { flavor: 'onnx', files: { MLmodel: 'x', 'model.onnx': LINEAR } }),
    ).rejects.toThrow(/named 'MLmodel'/);
  });
});

describe('models MLflow wrote', () => {
  it('loads an MLflow 2 onnx model with a tensor signature and predicts its own example', async () => {
    const model = await loadModel(join(FIXTURES, 'mlflow-layout/onnx-mlflow2'));
    const ex = await model.inputExample();
    expect(ex!.frame.names).toEqual(['0', '1', '2', '3']);
    const out = await model.predict(ex!.frame);
    expect(out.get('y')!.values[0]).toBeCloseTo(linear([0.5, 1, -2, 3]), 5);
    await model.close();
  });

  it('loads an MLflow 3 onnx model and serves its serving_input_example.json', async () => {
    const d = join(FIXTURES, 'mlflow-layout/onnx-mlflow3');
    const model = await loadModel(d);
    expect(model.manifest.model_id).toMatch(/^m-/);
    const body = JSON.parse(await readFile(join(d, 'serving_input_example.json'), 'utf8'));
    const out = await model.predict(frameFromMlflowJson(body), { threshold: 0.9 });
    expect(Array.from(out.get('y')!.values as Float32Array).map((v) => Number(v.toFixed(5)))).toEqual([
      Number(linear([0.5, 1, -2, 3]).toFixed(5)),
      0.75,
    ]);
    await expect(model.predict(frameFromMlflowJson(body), { threshold: 'high' })).rejects.toThrow(
      "Invalid value for param 'threshold': expected double, got string 'high'",
    );
    await model.close();
  });
});

describe('models Cairn refuses', () => {
  async function modelDir(mlmodel: string, files: Record<string, string> = {}) {
    await writeFile(join(dir, 'MLmodel'), mlmodel);
    for (const [f, c] of Object.entries(files)) await writeFile(join(dir, f), c);
    return dir;
  }

  it('refuses pickle flavors without reading the pickle, naming the safe formats', async () => {
    await modelDir(
      [
        'flavors:',
        '  python_function:',
        '    loader_module: mlflow.sklearn',
        '    model_path: model.pkl',
        '  sklearn:',
        '    pickled_model: model.pkl',
        '    serialization_format: cloudpickle',
        'saved_input_example_info:',
        '  artifact_path: input_example.json',
        '  type: dataframe',
        '',
      ].join('\n'),
    );
    // Reading either file would fail with EISDIR, not with the refusal below.
    await mkdir(join(dir, 'model.pkl'));
    await mkdir(join(dir, 'input_example.json'));
    const e = await errorOf(loadModel(dir, { allowCode: true }));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toContain(
      "store the model as a Python pickle, which runs code when it is loaded ('python_function', 'sklearn')",
    );
    expect(e.message).toContain('ONNX');
    expect(e.message).toContain('XGBoost JSON/UBJ');
  });

  it('refuses a cloudpickle pyfunc model', async () => {
    await modelDir(
      'flavors:\n  python_function:\n    cloudpickle_version: 3.0.0\n    loader_module: mlflow.pyfunc.model\n    python_model: python_model.pkl\n',
    );
    await mkdir(join(dir, 'python_model.pkl'));
    await expect(loadModel(dir)).rejects.toThrow(/Python pickle.*'python_function'/);
  });

  it('refuses flavors it has no loader for, listing the ones it has', async () => {
    await modelDir('flavors:\n  tensorflow:\n    saved_model_dir: tfmodel\n');
    const e = await errorOf(loadModel(dir));
    expect(e.message).toMatch(/Cairn has no loader for its flavors \('tensorflow'\)/);
    expect(e.message).toMatch(/Cairn loads the flavors 'onnx', .*'js'/);
  });

  it('refuses a missing directory, a missing MLmodel and an invalid one', async () => {
    expect((await errorOf(loadModel(join(dir, 'nope')))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    const missing = await errorOf(loadModel(dir));
    expect(missing.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(missing.message).toMatch(/No MLmodel file in .*not an MLflow model directory/);
    await writeFile(join(dir, 'MLmodel'), 'flavors: [unclosed');
    const invalid = await errorOf(loadModel(dir));
    expect(invalid.code).toBe('INVALID_PARAMETER_VALUE');
    expect(invalid.message).toMatch(/Invalid MLmodel in .*not valid YAML/);
    await writeFile(join(dir, 'MLmodel'), 'run_id: abc\n');
    await expect(loadModel(dir)).rejects.toThrow(/'flavors' must be a mapping/);
  });

  it('loads a js model only when code is allowed; prefers onnx when both are present', async () => {
    await modelDir('flavors:\n  js:\n    module: model.mjs\n', {
      'model.mjs': 'export const predict = (f) => [f.length];\n',
    });
    const denied = await errorOf(loadModel(dir));
    expect(denied.code).toBe('PERMISSION_DENIED');
    const m = await loadModel(dir, { allowCode: true });
    expect((await m.predict(Frame.fromRecords([{ a: 1 }]))).toRecords()).toEqual([{ prediction: 1 }]);
    await m.close();

    await writeFile(join(dir, 'model.onnx'), LINEAR);
    await writeFile(
      join(dir, 'MLmodel'),
      'flavors:\n  js:\n    module: model.mjs\n  onnx:\n    data: model.onnx\n',
    );
    const both = await loadModel(dir);
    expect(both.flavor).toBe('onnx');
    await both.close();
  });
});
