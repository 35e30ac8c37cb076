import { describe, expect, it } from 'vitest';
import { CairnError } from '../core/errors.js';
import type { Metric } from '../tracking/types.js';
import { MetricBuffer } from './metric-buffer.js';

const point = (i: number): Metric => ({ key: 'loss', value: i, timestamp: 1, step: i });

/** A send function whose calls complete only when the test says so. */
function gatedSender() {
  const calls: Metric[][] = [];
  const gates: Array<() => void> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const send = (batch: Metric[]) => {
    calls.push(batch);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    return new Promise<void>((resolve) =>
      gates.push(() => {
        inFlight--;
        resolve();
      }),
    );
  };
  const releaseAll = async () => {
    while (gates.length > 0) {
      gates.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { send, calls, releaseAll, maxInFlight: () => maxInFlight };
}

describe('MetricBuffer', () => {
  it('sends full batches of at most 1000 points, one call at a time, never waiting in push', async () => {
    const s = gatedSender();
    const buffer = new MetricBuffer(s.send, { intervalMs: 60_000 });
    for (let i = 0; i < 2500; i++) expect(buffer.push(point(i))).toBe(true);
    // The first full batch left at once; the rest waits for it.
    expect(s.calls.map((c) => c.length)).toEqual([1000]);
    expect(buffer.batchesSent).toBe(0);
    const flushed = buffer.flush();
    await s.releaseAll();
    await flushed;
    expect(s.calls.map((c) => c.length)).toEqual([1000, 1000, 500]);
    expect(s.maxInFlight()).toBe(1);
    expect(s.calls.flat().map((m) => m.step)).toEqual(Array.from({ length: 2500 }, (_, i) => i));
    expect(buffer.size).toBe(0);
  });

  it('sends a partial batch after the interval', async () => {
    const sent: number[] = [];
    const buffer = new MetricBuffer(
      async (b) => {
        sent.push(b.length);
      },
      { intervalMs: 20 },
    );
    buffer.push(point(1), point(2), point(3));
    expect(sent).toEqual([]);
    await new Promise((r) => setTimeout(r, 80));
    expect(sent).toEqual([3]);
  });

  it('keeps a background error, throws it once from flush, and keeps sending', async () => {
    let calls = 0;
    const buffer = new MetricBuffer(
      async () => {
        calls++;
        if (calls === 1) throw new CairnError('RESOURCE_DOES_NOT_EXIST', 'Run with id=x not found');
      },
      { intervalMs: 60_000 },
    );
    for (let i = 0; i < 1000; i++) buffer.push(point(i));
    await new Promise((r) => setImmediate(r));
    expect(buffer.batchesSent).toBe(1);
    buffer.push(point(1000));
    await expect(buffer.flush()).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
      message: expect.stringContaining('1000 metric point(s) were not logged'),
    });
    expect(calls).toBe(2);
    await expect(buffer.flush()).resolves.toBeUndefined();
  });

  it('answers false past the high-water mark, and flush drains it', async () => {
    const s = gatedSender();
    const buffer = new MetricBuffer(s.send, { highWaterMark: 5000, intervalMs: 60_000 });
    let ok = true;
    for (let i = 0; i < 6000; i++) ok = buffer.push(point(i));
    expect(ok).toBe(false);
    const flushed = buffer.flush();
    await s.releaseAll();
    await flushed;
    expect(buffer.size).toBe(0);
    expect(buffer.push(point(1))).toBe(true);
  });

  it('points pushed while a batch is in flight go in a later batch', async () => {
    const s = gatedSender();
    const buffer = new MetricBuffer(s.send, { intervalMs: 60_000 });
    buffer.push(point(1));
    const flushed = buffer.flush();
    buffer.push(point(2));
    await s.releaseAll();
    await flushed;
    expect(s.calls[0]!.map((m) => m.step)).toEqual([1]);
  });
});
