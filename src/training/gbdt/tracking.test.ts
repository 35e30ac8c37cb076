import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect } from '../../client/connect.js';
import { Frame } from '../../core/frame.js';
import { seededRandom } from '../../core/random.js';
import { logBooster, trackingCallback } from './tracking.js';
import { train } from './train.js';

function data(n: number, seed: number) {
  const rnd = seededRandom(seed);
  const x = Float32Array.from({ length: n * 3 }, () => rnd() * 2 - 1);
  const y = Float32Array.from({ length: n }, (_, i) => (x[3 * i]! + 0.3 * rnd() > 0 ? 1 : 0));
  return { x, y };
}

describe('gbdt tracking callback', () => {
  it('logs params once and train/validation metrics every round', async () => {
    const params: Array<Record<string, unknown>> = [];
    const metrics: Array<[Record<string, number>, number]> = [];
    const run = {
      logParams: async (p: Record<string, unknown>) => {
        params.push(p);
      },
      logMetrics: (m: Record<string, number>, step: number) => {
        metrics.push([m, step]);
        return true;
      },
    };
    const tr = data(500, 1);
    const va = data(200, 2);
    const cb = trackingCallback(run);
    train(
      tr.x,
      tr.y,
      { n_estimators: 5, eta: 0.5, eval_metric: ['auc', 'logloss'] },
      {
        evalSet: { X: va.x, y: va.y, name: 'valid' },
        callbacks: [cb],
      },
    );
    await cb.flush();
    expect(params).toHaveLength(1);
    expect(params[0]).toMatchObject({
      objective: 'binary:logistic',
      eta: 0.5,
      n_estimators: 5,
      num_feature: 3,
    });
    expect(params[0]!['eval_metric']).toBe('auc,logloss');
    expect(metrics.map(([, step]) => step)).toEqual([0, 1, 2, 3, 4]);
    expect(Object.keys(metrics[0]![0]).sort()).toEqual([
      'train-auc',
      'train-logloss',
      'valid-auc',
      'valid-logloss',
    ]);
    const losses = metrics.map(([m]) => m['train-logloss']!);
    expect(losses[4]).toBeLessThan(losses[0]!);
  });

  it('logs to an embedded Cairn run, and logBooster stores a model that serves', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'cairn-gbdt-track-'));
    const client = await connect(undefined, { env: { CAIRN_HOME: home } });
    try {
      const run = await client.startRun({});
      const tr = data(500, 3);
      const va = data(200, 4);
      const booster = train(
        tr.x,
        tr.y,
        { n_estimators: 30 },
        {
          evalSet: { X: va.x, y: va.y },
          earlyStoppingRounds: 3,
          callbacks: [trackingCallback(run)],
          featureNames: ['a', 'b', 'c'],
        },
      );
      const frame = Frame.fromColumns({
        a: Float64Array.from({ length: 200 }, (_, i) => va.x[3 * i]!),
        b: Float64Array.from({ length: 200 }, (_, i) => va.x[3 * i + 1]!),
        c: Float64Array.from({ length: 200 }, (_, i) => va.x[3 * i + 2]!),
      });
      const { modelUri } = await logBooster(client, run, booster, { inferFrom: frame });
      await run.end();
      const stored = await client.tracking.getRun(run.id);
      expect(stored.data.params.find((p) => p.key === 'max_depth')?.value).toBe('6');
      const history = await client.tracking.getMetricHistory(run.id, 'validation-logloss');
      expect(history.items).toHaveLength(booster.rounds);
      const model = await client.loadModel(modelUri);
      expect(model.signature?.inputs?.map((c) => c.name)).toEqual(['a', 'b', 'c']);
      const out = await model.predict(frame);
      expect(Array.from(out.get('prediction')!.values as Float32Array)).toEqual(
        Array.from(booster.predict(frame)),
      );
      await model.close();
    } finally {
      await client.close();
      await rm(home, { recursive: true, force: true });
    }
  });
});
