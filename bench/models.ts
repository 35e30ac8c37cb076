import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Frame } from '../src/core/frame.js';
import { loadModel, saveModel } from '../src/models/model-dir.js';
import { inferSignature } from '../src/models/signature.js';
import type { BenchOptions } from './run.js';
import { median, percentile, table } from './stats.js';

const FIXTURES = path.resolve('test/fixtures/models');

function randomFrame(rows: number, names: string[], seed = 7): Frame {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31 - 0.5;
  };
  return Frame.fromColumns(
    Object.fromEntries(names.map((n) => [n, Float64Array.from({ length: rows }, rnd)])),
  );
}

async function timeIt(iterations: number, fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < Math.min(20, iterations); i++) await fn(); // warm up
  const out: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

export default async function modelsBench(opts: BenchOptions): Promise<Record<string, unknown>> {
  const iters = opts.quick ? 50 : 500;
  const work = await mkdtemp(path.join(tmpdir(), 'cairn-bench-models-'));
  try {
    // ONNX: a logistic classifier over 3 features, as a Cairn model directory.
    const onnxNames = ['x_0', 'x_1', 'x_2'];
    const onnxDir = path.join(work, 'onnx');
    const { readFile } = await import('node:fs/promises');
    const onnxBytes = await readFile(path.join(FIXTURES, 'onnx/logistic.onnx'));
    await saveModel(onnxDir, {
      flavor: 'onnx',
      files: { 'model.onnx': onnxBytes },
      signature: inferSignature(randomFrame(2, onnxNames)),
    });

    let t0 = performance.now();
    const onnx = await loadModel(onnxDir);
    const onnxCold = performance.now() - t0;
    const one = randomFrame(1, onnxNames);
    const thousand = randomFrame(1000, onnxNames);
    const onnx1 = await timeIt(iters, () => onnx.predict(one));
    const onnx1k = await timeIt(Math.ceil(iters / 5), () => onnx.predict(thousand));

    // The baseline: onnxruntime-node's own session on the same graph and rows, no Cairn code.
    const ort = await import('onnxruntime-node');
    t0 = performance.now();
    const session = await ort.InferenceSession.create(path.join(FIXTURES, 'onnx/logistic.onnx'));
    const rawCold = performance.now() - t0;
    const tensor = (f: Frame) => {
      const data = new Float32Array(f.length * 3);
      for (let r = 0; r < f.length; r++)
        for (let c = 0; c < 3; c++) data[r * 3 + c] = (f.columns[c]!.values as Float64Array)[r]!;
      return new ort.Tensor('float32', data, [f.length, 3]);
    };
    const raw1 = await timeIt(iters, () => session.run({ x: tensor(one) }));
    const raw1k = await timeIt(Math.ceil(iters / 5), () => session.run({ x: tensor(thousand) }));

    // XGBoost: the committed binary classifier (6 features), scored in TypeScript.
    const xgbDir = path.join(FIXTURES, 'xgboost/binary/json');
    const xgbNames = ['x0', 'x1', 'x2', 'x3', 'x4', 'x5'];
    t0 = performance.now();
    const xgb = await loadModel(xgbDir);
    const xgbCold = performance.now() - t0;
    const xOne = randomFrame(1, xgbNames);
    const xThousand = randomFrame(1000, xgbNames);
    const xgb1 = await timeIt(iters, () => xgb.predict(xOne));
    const xgb1k = await timeIt(Math.ceil(iters / 5), () => xgb.predict(xThousand));

    const result = {
      onnx_cold_load_ms: +onnxCold.toFixed(2),
      onnx_predict_1_p50_ms: +median(onnx1).toFixed(4),
      onnx_predict_1k_p50_ms: +median(onnx1k).toFixed(3),
      onnx_raw_session_create_ms: +rawCold.toFixed(2),
      onnx_raw_run_1_p50_ms: +median(raw1).toFixed(4),
      onnx_raw_run_1k_p50_ms: +median(raw1k).toFixed(3),
      xgboost_cold_load_ms: +xgbCold.toFixed(2),
      xgboost_predict_1_p50_ms: +median(xgb1).toFixed(4),
      xgboost_predict_1k_p50_ms: +median(xgb1k).toFixed(3),
      xgboost_predict_1_p99_ms: +percentile(xgb1, 99).toFixed(4),
    };
    if (!opts.json) {
      process.stdout.write(
        `\nModel load and predict (p50 over ${iters} single-row and ${Math.ceil(iters / 5)} 1k-row calls; predict includes signature enforcement and frame conversion)\n${table(
          [
            'model',
            'cold load ms (first use imports the runtime)',
            '1 row ms',
            '1k rows ms',
            '1k rows: rows/s',
          ],
          [
            [
              'onnx via Cairn (logistic, 3 features)',
              onnxCold,
              median(onnx1),
              median(onnx1k),
              1000 / (median(onnx1k) / 1000),
            ],
            [
              'onnxruntime session, raw (baseline)',
              rawCold,
              median(raw1),
              median(raw1k),
              1000 / (median(raw1k) / 1000),
            ],
            [
              'xgboost via Cairn (binary, 6 features)',
              xgbCold,
              median(xgb1),
              median(xgb1k),
              1000 / (median(xgb1k) / 1000),
            ],
          ],
        )}\n`,
      );
    }
    await onnx.close();
    await xgb.close();
    return result;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
