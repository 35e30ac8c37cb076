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

describe('Batcher: adaptive dispatch and worker capacity', () => {
  it('at concurrency 1 never holds a request, even with a large learnt fixed cost', async () => {
    const starts: number[] = [];
    const b = new Batcher(
      async (f) => {
        starts.push(performance.now());
        await sleep(4);
        return f;
      },
      { maxBatchSize: 64, maxLatencyMs: 50 },
    );
    const delays: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      await b.predict(rows(i));
      delays.push(starts[i]! - t0);
    }
    expect(b.cost.coefficients()!.b).toBeGreaterThan(3); // it did learn that a call costs ~4 ms
    expect(b.arrivals.at(performance.now())).toBe(0);
    expect(Math.max(...delays)).toBeLessThan(3); // and still dispatched each at once
  });

  it('holds rows for a free worker when merging pays, within max latency', async () => {
    const run = async (teach: boolean) => {
      const m = doubling(20);
      const b = new Batcher(m.predict, { maxBatchSize: 64, maxLatencyMs: 30 });
      if (teach) {
        b.cost.observe(1, 20); // b ≈ 20 ms per call, a ≈ 0
        b.cost.observe(16, 20.2);
        const now = performance.now();
        for (let t = now - 20; t <= now; t += 1) b.arrivals.arrive(1, true, t); // 1 row/ms while busy
      }
      const t0 = performance.now();
      const outs = [b.predict(rows(0))];
      for (let i = 1; i < 4; i++) {
        await sleep(2);
        outs.push(b.predict(rows(i)));
      }
      const first = await outs[0]!;
      const firstMs = performance.now() - t0;
      expect(ys(first)).toEqual([0]);
      expect((await Promise.all(outs)).map(ys)).toEqual([[0], [2], [4], [6]]);
      return { calls: m.calls, firstMs };
    };
    const eager = await run(false);
    expect(eager.calls[0]).toBe(1); // nothing learnt: the lone row goes at once
    const held = await run(true);
    expect(held.calls[0]).toBeGreaterThanOrEqual(2); // it waited for company
    expect(held.firstMs).toBeLessThan(30 + 20 + 25); // max latency + one call, with slack
  });

  it('runs up to maxConcurrentBatches at once (one per worker thread)', async () => {
    let running = 0;
    let most = 0;
    const b = new Batcher(
      async (f) => {
        most = Math.max(most, ++running);
        await sleep(15);
        running--;
        return f;
      },
      { maxBatchSize: 8, maxLatencyMs: 1000, maxConcurrentBatches: 3 },
    );
    // Different params never merge: six batches of one row, at most three at a time.
    await Promise.all([0, 1, 2, 3, 4, 5].map((x) => b.predict(rows(x), { k: x })));
    expect(most).toBe(3);
  });

  it('aborts a running batch once all its requests passed their deadlines, not before', async () => {
    const signals: Array<AbortSignal | undefined> = [];
    const b = new Batcher(
      (f, _p, o) =>
        new Promise<Frame>((resolve, reject) => {
          signals.push(o.signal);
          const t = setTimeout(() => resolve(f), 150);
          o.signal?.addEventListener('abort', () => {
            clearTimeout(t);
            reject(new Error('aborted'));
          });
        }),
      { maxBatchSize: 8, maxLatencyMs: 1, abortable: true },
    );
    const t0 = performance.now();
    await expect(withDeadline(20, (d) => b.predict(rows(1), undefined, d))).rejects.toThrow(/within 20 ms/);
    await sleep(5);
    expect(signals[0]!.aborted).toBe(true);
    expect(b.runningBatches).toBe(0); // the worker is free again, long before the 150 ms call ends
    expect(performance.now() - t0).toBeLessThan(120);
    // A request without a deadline keeps its batch alive: nothing can abort it.
    const kept = b.predict(rows(2));
    await sleep(30);
    expect(signals[1]).toBeUndefined();
    expect((await kept).length).toBe(1);
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
