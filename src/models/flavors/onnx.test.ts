import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Frame } from '../../core/frame.js';
import type { LoadedModel } from '../flavor.js';
import { frameFromMlflowJson } from '../json-input.js';
import type { ModelManifest } from '../types.js';
import { onnxFlavor } from './onnx.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/models/onnx/', import.meta.url));
type Case = { inputs: Record<string, number[][]>; outputs: Record<string, number[][] | number[]> };
const expected = JSON.parse(readFileSync(`${FIXTURES}expected.json`, 'utf8')) as Record<string, Case>;

const opened: LoadedModel[] = [];
async function load(file: string, extra: Record<string, unknown> = {}): Promise<LoadedModel> {
  const manifest: ModelManifest = { flavors: { onnx: { data: file, ...extra } } };
  const model = await onnxFlavor.load(FIXTURES, manifest, { allowCode: false });
  opened.push(model);
  return model;
}
afterAll(async () => {
  for (const m of opened) await m.close?.();
});

const column = (f: Frame, name: string) => Array.from(f.get(name)!.values as ArrayLike<number>);
function expectClose(got: number[], want: number[]) {
  expect(got).toHaveLength(want.length);
  for (const [i, g] of got.entries()) expect(Math.abs(g - want[i]!)).toBeLessThanOrEqual(1e-5);
}

describe('onnx flavor parity with numpy', () => {
  it('linear regression: a [N,4] input from numbered columns, a [N,1] output as one column', async () => {
    const c = expected.linear!;
    const model = await load('linear.onnx');
    const out = await model.predict(frameFromMlflowJson({ inputs: c.inputs }));
    expect(out.names).toEqual(['y']);
    expect(out.get('y')!.type).toBe('float');
    expectClose(
      column(out, 'y'),
      (c.outputs.y as number[][]).map((r) => r[0]!),
    );
  });

  it('stacks every column, in order, into the single input (named feature columns)', async () => {
    const c = expected.linear!;
    const rows = c.inputs.x!;
    const f = Frame.fromColumns({
      f1: rows.map((r) => r[0]),
      f2: rows.map((r) => r[1]),
      f3: rows.map((r) => r[2]),
      f4: rows.map((r) => r[3]),
    });
    const out = await (await load('linear.onnx')).predict(f);
    expectClose(
      column(out, 'y'),
      (c.outputs.y as number[][]).map((r) => r[0]!),
    );
  });

  it('logistic classifier: int64 labels and a [N,2] probabilities output as two columns', async () => {
    const c = expected.logistic!;
    const model = await load('logistic.onnx');
    const out = await model.predict(frameFromMlflowJson({ inputs: c.inputs.x }));
    expect(out.columns.map((x) => `${x.name}:${x.type}`)).toEqual([
      'label:long',
      'probabilities_0:float',
      'probabilities_1:float',
    ]);
    expect(column(out, 'label')).toEqual(c.outputs.label);
    const p = c.outputs.probabilities as number[][];
    expectClose(
      column(out, 'probabilities_0'),
      p.map((r) => r[0]!),
    );
    expectClose(
      column(out, 'probabilities_1'),
      p.map((r) => r[1]!),
    );
    // The session is reused: a second call on one row works and agrees.
    const one = await model.predict(frameFromMlflowJson({ inputs: [c.inputs.x![2]] }));
    expectClose(column(one, 'probabilities_1'), [p[2]![1]!]);
  });

  it('two named inputs: one from numbered columns, one from a column named like it', async () => {
    const c = expected.two_inputs!;
    const a = c.inputs.a!;
    const f = Frame.fromColumns({
      b: c.inputs.b!.map((r) => r[0]),
      a_1: a.map((r) => r[1]),
      a_0: a.map((r) => r[0]),
      ignored: a.map(() => 'x'),
    });
    const out = await (await load('two_inputs.onnx')).predict(f);
    expectClose(
      column(out, 'z'),
      (c.outputs.z as number[][]).map((r) => r[0]!),
    );
  });

  it('honours MLflow onnx_session_options', async () => {
    const model = await load('linear.onnx', {
      onnx_session_options: {
        intra_op_num_threads: 1,
        execution_mode: 'sequential',
        graph_optimization_level: 99,
      },
    });
    const out = await model.predict(Frame.fromColumns({ x_0: [1], x_1: [0], x_2: [0], x_3: [0] }));
    expectClose(column(out, 'y'), [0.5 + 0.75]);
  });
});

describe('onnx flavor errors', () => {
  it('names the input, its width and the columns received', async () => {
    const model = await load('linear.onnx');
    await expect(model.predict(Frame.fromColumns({ a: [1], b: [2] }))).rejects.toThrow(
      "The ONNX model input 'x' takes 4 values per row (shape [N, 4]); received 2 columns ('a', 'b')",
    );
    await expect(model.predict(Frame.fromColumns({ a: ['1'], b: [2], c: [3], d: [4] }))).rejects.toThrow(
      "Column 'a' feeds the float32 input 'x' but holds string values",
    );
  });

  it('asks for the missing input of a multi-input graph', async () => {
    const model = await load('two_inputs.onnx');
    await expect(model.predict(Frame.fromColumns({ a_0: [1], a_1: [2] }))).rejects.toThrow(
      "The ONNX model input 'b' has no data: send a column 'b' or columns 'b_0', 'b_1', …; received columns ['a_0', 'a_1']",
    );
  });

  it('refuses a data path outside the model directory and a missing file', async () => {
    await expect(load('../mlflow-layout/onnx-mlflow2/model.onnx')).rejects.toThrow(/'\.\.' segment/);
    await expect(load('/etc/passwd')).rejects.toThrow(/absolute/);
    await expect(load('nope.onnx')).rejects.toThrow(/The ONNX model file 'nope.onnx' is missing/);
  });

  it('refuses a file that is not an ONNX graph', async () => {
    await expect(load('expected.json')).rejects.toThrow(/Cannot load the ONNX model 'expected.json'/);
  });
});
