import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { seededRandom } from '../src/core/random.js';
import { rocAuc } from '../src/training/gbdt/metrics.js';
import { train } from '../src/training/gbdt/train.js';
import type { GbdtParams } from '../src/training/gbdt/types.js';
import type { BenchOptions } from './run.js';
import { table } from './stats.js';

const PYTHON = '/usr/bin/python3';
const COLS = 30;

/**
 * A binary task: a sum of nonlinear terms of the first 12 features (the other 18 are noise) plus
 * logistic noise, thresholded at 0; 5% of the values of features 0–9 missing, and feature 4's
 * missingness itself raising the odds.
 */
export function makeTask(rows: number, seed = 42): { x: Float32Array; y: Float32Array } {
  const rnd = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const x = new Float32Array(rows * COLS);
  const y = new Float32Array(rows);
  const v = new Float64Array(COLS);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < COLS; c++) v[c] = normal();
    const miss4 = rnd() < 0.1;
    const logit =
      Math.sin(2 * v[0]!) +
      v[1]! * v[1]! -
      1 +
      v[2]! * v[3]! +
      (miss4 ? 1 : Math.abs(v[4]!) - 0.8) +
      (v[5]! > 0.3 ? 1 : -0.5) +
      0.5 * v[6]! +
      Math.tanh(v[7]! * v[8]!) +
      0.3 * Math.max(0, v[9]!) * v[10]! -
      0.4 * Math.cos(3 * v[11]!);
    const u = rnd();
    y[r] = logit + Math.log(u / (1 - u)) > 0 ? 1 : 0;
    for (let c = 0; c < COLS; c++) {
      const missing = c === 4 ? miss4 : c < 10 && rnd() < 0.05;
      x[r * COLS + c] = missing ? Number.NaN : v[c]!;
    }
  }
  return { x, y };
}

function xgboostAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import xgboost'], { stdio: 'ignore' }).status === 0;
}

export default async function gbdtBench(opts: BenchOptions): Promise<Record<string, unknown>> {
  const rows = opts.quick ? 20_000 : 200_000;
  const rounds = opts.quick ? 20 : 200;
  const trainRows = Math.floor(rows * 0.8);
  const params = { max_depth: 6, eta: 0.3, max_bin: 256, objective: 'binary:logistic' as const };
  opts.log(`generating ${rows} × ${COLS} …`);
  const { x, y } = makeTask(rows);
  const xTrain = x.subarray(0, trainRows * COLS);
  const xTest = x.subarray(trainRows * COLS);
  const yTest = y.subarray(trainRows);

  opts.log(`training Cairn (${rounds} rounds) …`);
  const gbdtParams: GbdtParams = { ...params, n_estimators: rounds, seed: 0 };
  const t0 = performance.now();
  const booster = train(xTrain, y.subarray(0, trainRows), gbdtParams);
  const trainSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const pred = booster.predict(xTest);
  const predictSeconds = (performance.now() - t1) / 1000;
  const auc = rocAuc(pred, yTest);

  const result: Record<string, unknown> = {
    rows,
    train_rows: trainRows,
    cols: COLS,
    rounds,
    train_seconds: +trainSeconds.toFixed(3),
    predict_seconds: +predictSeconds.toFixed(3),
    auc: +auc.toFixed(5),
  };
  let note = '';
  if (xgboostAvailable()) {
    const work = await mkdtemp(path.join(tmpdir(), 'cairn-bench-gbdt-'));
    try {
      await writeFile(path.join(work, 'x.f32'), x);
      await writeFile(path.join(work, 'y.f32'), y);
      const meta = { rows, cols: COLS, train_rows: trainRows, rounds, params };
      await writeFile(path.join(work, 'meta.json'), JSON.stringify(meta));
      opts.log('training XGBoost (hist, nthread=1) …');
      const script = path.join(path.dirname(new URL(import.meta.url).pathname), 'gbdt_xgboost.py');
      const run = spawnSync(PYTHON, [script, work], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`XGBoost baseline failed: ${run.stderr}`);
      const xgb = JSON.parse(run.stdout) as { train_seconds: number; auc: number; version: string };
      result['xgboost_version'] = xgb.version;
      result['xgboost_train_seconds'] = +xgb.train_seconds.toFixed(3);
      result['xgboost_auc'] = +xgb.auc.toFixed(5);
      result['time_ratio'] = +(trainSeconds / xgb.train_seconds).toFixed(2);
      result['auc_diff'] = +(auc - xgb.auc).toFixed(5);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  } else {
    note = `XGBoost baseline skipped: ${PYTHON} cannot import xgboost (apt install python3-xgboost).`;
    result['xgboost_skipped'] = note;
  }

  if (!opts.json) {
    const tableRows: Array<Array<string | number>> = [
      ['Cairn gbdt (TypeScript, 1 thread)', trainSeconds, auc.toFixed(4)],
    ];
    if (result['xgboost_train_seconds'] !== undefined) {
      tableRows.push([
        `XGBoost ${String(result['xgboost_version'])} hist, nthread=1 (baseline)`,
        result['xgboost_train_seconds'] as number,
        (result['xgboost_auc'] as number).toFixed(4),
      ]);
    }
    process.stdout.write(
      `\nGradient boosting, ${trainRows.toLocaleString('en-US')} train / ${(rows - trainRows).toLocaleString('en-US')} test rows × ${COLS} features, ${rounds} rounds, depth 6, eta 0.3, max_bin 256\n` +
        `${table(['trainer', 'train s', 'test ROC AUC'], tableRows)}\n` +
        (note ? `${note}\n` : `time ratio ${result['time_ratio']}×, AUC difference ${result['auc_diff']}\n`),
    );
  }
  return result;
}
