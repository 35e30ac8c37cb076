import { describe, expect, it } from 'vitest';
import { BatchCostModel, BusyArrivalRate, dispatchWaitMs } from './batch-cost.js';

describe('BatchCostModel', () => {
  it('recovers a and b of a linear cost by least squares', () => {
    const m = new BatchCostModel();
    for (const n of [1, 4, 16, 64, 128, 256]) m.observe(n, 0.01 * n + 0.3);
    const c = m.coefficients()!;
    expect(c.a).toBeCloseTo(0.01, 6);
    expect(c.b).toBeCloseTo(0.3, 6);
    expect(m.predict(100)).toBeCloseTo(1.3, 6);
  });

  it('fits through noise and forgets batches older than its window', () => {
    const m = new BatchCostModel(8);
    for (let i = 0; i < 8; i++) m.observe(1 + i, 100); // an old regime, pushed out below
    for (let i = 0; i < 8; i++) m.observe(1 + i * 10, 0.02 * (1 + i * 10) + 1 + (i % 2 ? 0.05 : -0.05));
    const c = m.coefficients()!;
    expect(m.observations).toBe(8);
    expect(c.a).toBeCloseTo(0.02, 2);
    expect(c.b).toBeCloseTo(1, 1);
  });

  it('with one batch size, counts the whole cost as fixed; never returns negative coefficients', () => {
    const one = new BatchCostModel();
    expect(one.coefficients()).toBeUndefined();
    one.observe(1, 0.5);
    one.observe(1, 0.7);
    expect(one.coefficients()).toEqual({ a: 0, b: expect.closeTo(0.6, 9) });
    const falling = new BatchCostModel();
    falling.observe(1, 5);
    falling.observe(100, 1); // noise: bigger batch, faster
    expect(falling.coefficients()!.a).toBe(0);
    const steep = new BatchCostModel();
    steep.observe(10, 1);
    steep.observe(20, 10); // the line crosses below zero at n = 0
    const c = steep.coefficients()!;
    expect(c.b).toBe(0);
    expect(c.a).toBeGreaterThan(0);
    steep.observe(0, 1); // ignored: no rows
    steep.observe(5, Number.NaN); // ignored
    expect(steep.observations).toBe(2);
  });
});

describe('BusyArrivalRate', () => {
  it('counts only arrivals while busy, and decays', () => {
    const r = new BusyArrivalRate(50);
    for (let t = 0; t < 100; t += 10) r.arrive(1, false, t); // concurrency 1: never busy
    expect(r.at(100)).toBe(0);
    for (let t = 100; t < 400; t += 0.5) r.arrive(1, true, t); // 2 rows per ms while busy
    expect(r.at(400)).toBeCloseTo(2, 1);
    expect(r.at(450)).toBeCloseTo(1, 1); // one half-life later
  });
});

describe('dispatchWaitMs', () => {
  const base = { queued: 1, oldestWaitMs: 0, maxBatchSize: 256, maxLatencyMs: 10 };

  it('never waits at concurrency 1 (nothing arrives while busy) or before anything is learnt', () => {
    expect(dispatchWaitMs({ ...base, cost: { a: 0.01, b: 5 }, arrivalRate: 0 })).toBe(0);
    expect(dispatchWaitMs({ ...base, cost: undefined, arrivalRate: 5 })).toBe(0);
  });

  it('waits b/n − n/λ when the fixed cost the newcomers would share outweighs the wait', () => {
    // b = 2 ms, 1 row queued, 1 row per ms: t* = 2/1 − 1/1 = 1 ms.
    expect(dispatchWaitMs({ ...base, cost: { a: 0.01, b: 2 }, arrivalRate: 1 })).toBeCloseTo(1, 9);
    // Cheap calls: merging saves less than the wait costs.
    expect(dispatchWaitMs({ ...base, cost: { a: 0.01, b: 0.05 }, arrivalRate: 1 })).toBe(0);
    // Enough rows already share b: b/n < n/λ.
    expect(dispatchWaitMs({ ...base, queued: 8, cost: { a: 0.01, b: 2 }, arrivalRate: 1 })).toBe(0);
  });

  it('is bounded by max latency, by the time to fill the batch, and never for a full batch', () => {
    const cost = { a: 0.001, b: 50 };
    expect(dispatchWaitMs({ ...base, cost, arrivalRate: 10 })).toBe(10);
    expect(dispatchWaitMs({ ...base, oldestWaitMs: 7, cost, arrivalRate: 10 })).toBeCloseTo(3, 9);
    expect(dispatchWaitMs({ ...base, oldestWaitMs: 12, cost, arrivalRate: 10 })).toBe(0);
    expect(dispatchWaitMs({ ...base, maxBatchSize: 4, cost, arrivalRate: 10 })).toBeCloseTo(0.3, 9);
    expect(dispatchWaitMs({ ...base, queued: 256, cost, arrivalRate: 10 })).toBe(0);
  });
});
