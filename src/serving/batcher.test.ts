import { describe, expect, it } from 'vitest';
import { Frame } from '../core/frame.js';
import { Batcher } from './batcher.js';
import { frameFromCsv } from './csv.js';
import { ServingMetrics } from './metrics.js';
import { Admission, withDeadline } from './queue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rows = (...xs: number[]) => Frame.fromColumns({ x: Float64Array.from(xs) });

function doubling(delayMs: number) {
  const calls: number[] = [];
  const predict = async (f: Frame) => {
    calls.push(f.length);
    await sleep(delayMs);
    return Frame.fromColumns({ y: (f.get('x')!.values as Float64Array).map((v) => v * 2) });
  };
  return { calls, predict };
}

const ys = (f: Frame) => Array.from(f.get('y')!.values as Float64Array);

describe('Batcher', () => {
  it('dispatches a lone request without waiting for max latency', async () => {
    const m = doubling(0);
    const b = new Batcher(m.predict, { maxBatchSize: 8, maxLatencyMs: 10_000 });
    const t0 = performance.now();
    expect(ys(await b.predict(rows(1, 2)))).toEqual([2, 4]);
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it('merges requests that arrive while a batch runs, up to the batch size', async () => {
    const m = doubling(20);
    const sizes: number[] = [];
    const b = new Batcher(m.predict, { maxBatchSize: 3, maxLatencyMs: 1000, onBatch: (n) => sizes.push(n) });
    const first = b.predict(rows(0));
    await sleep(5);
    const rest = [1, 2, 3, 4, 5].map((x) => b.predict(rows(x)));
    const outs = await Promise.all([first, ...rest]);
    expect(outs.map(ys)).toEqual([[0], [2], [4], [6], [8], [10]]);
    expect(sizes[0]).toBe(1);
    expect(Math.max(...sizes)).toBe(3);
    expect(m.calls.length).toBeLessThan(6);
  });

  it('splits a request bigger than the batch and keeps row order', async () => {
    const m = doubling(0);
    const b = new Batcher(m.predict, { maxBatchSize: 2, maxLatencyMs: 1 });
    expect(ys(await b.predict(rows(1, 2, 3, 4, 5)))).toEqual([2, 4, 6, 8, 10]);
    expect(m.calls).toEqual([2, 2, 1]);
  });

  it('does not merge requests with different params', async () => {
    const m = doubling(10);
    const b = new Batcher(m.predict, { maxBatchSize: 8, maxLatencyMs: 1000 });
    const first = b.predict(rows(0));
    await sleep(2);
    await Promise.all([b.predict(rows(1), { k: 1 }), b.predict(rows(2), { k: 2 }), first]);
    expect(m.calls).toEqual([1, 1, 1]);
  });

  it('drops queued work whose deadline passed', async () => {
    const m = doubling(30);
    const b = new Batcher(m.predict, { maxBatchSize: 8, maxLatencyMs: 1000 });
    const first = b.predict(rows(0));
    await sleep(2);
    await expect(withDeadline(5, (d) => b.predict(rows(1), undefined, d))).rejects.toThrow(/within 5 ms/);
    await first;
    await sleep(5);
    expect(m.calls).toEqual([1]);
  });
});

describe('Admission, metrics and CSV', () => {
  it('refuses past the bound with a Retry-After', () => {
    const a = new Admission(1, 2);
    a.enter();
    expect(() => a.enter()).toThrow(
      expect.objectContaining({ code: 'TEMPORARILY_UNAVAILABLE', retryAfterS: 2 }),
    );
    a.leave();
    expect(() => a.enter()).not.toThrow();
  });

  it('renders Prometheus text', () => {
    const m = new ServingMetrics({ model: 'm', version: '3' }, () => ({ requests: 2, rows: 5 }));
    m.observeRequest('/invocations', 200, 0.002);
    m.observeBatch(4);
    const text = m.render();
    expect(text).toContain(
      'cairn_serving_requests_total{model="m",version="3",route="/invocations",status="200"} 1',
    );
    expect(text).toContain(
      'cairn_serving_request_duration_seconds_bucket{model="m",version="3",route="/invocations",le="0.0025"} 1',
    );
    expect(text).toContain('cairn_serving_batch_size_rows_bucket{model="m",version="3",le="4"} 1');
    expect(text).toContain('cairn_serving_queue_depth{model="m",version="3"} 2');
  });

  it('parses CSV with quotes, empty fields and CRLF', () => {
    const f = frameFromCsv('a,b,"c d"\r\n1,"x, ""y""",\r\n2.5,z,3\r\n');
    expect(f.names).toEqual(['a', 'b', 'c d']);
    expect(f.toRecords()).toEqual([
      { a: 1, b: 'x, "y"', 'c d': null },
      { a: 2.5, b: 'z', 'c d': 3 },
    ]);
    expect(() => frameFromCsv('a,b\n1\n')).toThrow(/row 1 has 1 fields/);
  });
});
