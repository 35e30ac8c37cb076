import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CairnError } from '../src/core/errors.js';
import { errorHandler } from '../src/server/errors.js';
import { FeedbackStore, feedbackRoutes } from '../src/serving/feedback.js';
import { InferenceLog, type InferenceLogOptions } from '../src/serving/inference-log.js';
import type { InferenceRecord } from '../src/serving/types.js';
import { type MetadataDb, openMetadataDb } from '../src/store/db.js';
import { createTempPostgres } from './helpers/postgres.js';
import { tempDir } from './helpers/temp.js';

/** See registry-store.test.ts: let pg's sockets close before DROP DATABASE … WITH (FORCE). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 250));

interface Target {
  handle: MetadataDb;
  cleanup(): Promise<void>;
}

const targets: Array<[string, () => Promise<Target>]> = [
  [
    'sqlite',
    async () => {
      const tmp = await tempDir();
      const handle = await openMetadataDb(`sqlite:///${path.join(tmp.dir, 'cairn.db')}`);
      return { handle, cleanup: tmp.remove };
    },
  ],
  [
    'postgresql',
    async () => {
      const pg = await createTempPostgres();
      const handle = await openMetadataDb(pg.uri);
      return {
        handle,
        cleanup: async () => {
          await settle();
          await pg.drop();
        },
      };
    },
  ],
];

let seq = 0;
function rec(modelUri: string, over: Partial<InferenceRecord> = {}): InferenceRecord {
  seq++;
  return {
    requestId: `req-${seq}-${Math.random().toString(36).slice(2)}`,
    time: 1_700_000_000_000 + seq,
    route: 'main',
    modelUri,
    modelVersion: '3',
    inputs: [{ amount: seq, country: 'FR' }],
    outputs: [{ prediction: 0.25 }],
    latencyMs: 1.5,
    status: 200,
    ...over,
  };
}

/** A log that writes only when asked (no timer flush during the test, no auto batch). */
const manual: InferenceLogOptions = { flushIntervalMs: 3_600_000 };

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each(targets)('inference log on %s', (_name, open) => {
  let t: Target;
  let handle: MetadataDb;

  beforeAll(async () => {
    t = await open();
    handle = t.handle;
  });
  afterAll(async () => {
    await handle.close();
    await t.cleanup();
  });

  it('honours the sampling rate, deterministically with a seed', async () => {
    const model = `models:/sampling-${_name}`;
    const run = async (seed: number) => {
      const log = new InferenceLog(handle, { ...manual, sampleRate: 0.3, seed, maxBatch: 100_000 });
      for (let i = 0; i < 10_000; i++) log.record(rec(model));
      const s = log.stats();
      await log.close();
      return s;
    };
    const s = await run(42);
    const kept = s.recorded - s.sampledOut;
    expect(s.recorded).toBe(10_000);
    // Binomial(10 000, 0.3): sd ≈ 46, so ±300 is > 6 sd.
    expect(kept).toBeGreaterThan(2700);
    expect(kept).toBeLessThan(3300);
    expect(s.buffered).toBe(kept);
    expect((await run(42)).sampledOut).toBe(s.sampledOut);

    const none = new InferenceLog(handle, { ...manual, sampleRate: 0 });
    for (let i = 0; i < 100; i++) none.record(rec(model));
    expect(none.stats()).toMatchObject({ recorded: 100, sampledOut: 100, buffered: 0 });
    await none.close();
    expect(() => new InferenceLog(handle, { sampleRate: 1.5 })).toThrow(CairnError);
  });

  it('writes in batches: few transactions for many records', async () => {
    const model = `models:/batching-${_name}`;
    const spy = vi.spyOn(handle.db, 'transaction');
    try {
      const log = new InferenceLog(handle, { ...manual, maxBatch: 500 });
      for (let i = 0; i < 2000; i++) log.record(rec(model));
      // Full batches are written without waiting for the timer or close().
      await until(() => log.stats().written === 2000);
      expect(spy).toHaveBeenCalledTimes(4); // 2000 records, maxBatch 500
      await log.close();
    } finally {
      spy.mockRestore();
    }
    expect((await new InferenceLog(handle, manual).query({ modelUri: model, limit: 5000 })).length).toBe(
      2000,
    );
  });

  it('flushes on its interval', async () => {
    const log = new InferenceLog(handle, { flushIntervalMs: 20 });
    for (let i = 0; i < 3; i++) log.record(rec(`models:/interval-${_name}`));
    expect(log.stats().written).toBe(0);
    await until(() => log.stats().written === 3);
    await log.close();
  });

  it('close() writes everything buffered; records after close are dropped', async () => {
    const model = `models:/close-${_name}`;
    const log = new InferenceLog(handle, { ...manual, maxBatch: 50 });
    for (let i = 0; i < 123; i++) log.record(rec(model));
    await log.close();
    expect(log.stats()).toMatchObject({ recorded: 123, written: 123, buffered: 0, dropped: 0 });
    log.record(rec(model));
    expect(log.stats().dropped).toBe(1);
    expect((await log.query({ modelUri: model })).length).toBe(123);
  });

  it('bounds its buffer, dropping the oldest', async () => {
    const model = `models:/bounded-${_name}`;
    const log = new InferenceLog(handle, { ...manual, maxBuffered: 100, maxBatch: 1000 });
    const all = Array.from({ length: 250 }, () => rec(model));
    for (const r of all) log.record(r);
    expect(log.stats()).toMatchObject({ recorded: 250, dropped: 150, buffered: 100 });
    await log.close();
    const rows = await log.query({ modelUri: model, limit: 1000 });
    expect(rows.map((r) => r.requestId)).toEqual(all.slice(150).map((r) => r.requestId));
  });

  it('counts and logs write errors, never throws them', async () => {
    const model = `models:/errors-${_name}`;
    const warn = vi.fn();
    const log = new InferenceLog(handle, { ...manual, maxBatch: 10, logger: { warn } });
    const spy = vi.spyOn(handle.db, 'transaction').mockImplementation(() => {
      throw new Error('database is down');
    });
    try {
      for (let i = 0; i < 25; i++) expect(() => log.record(rec(model))).not.toThrow();
      await expect(log.flush()).resolves.toBeUndefined();
    } finally {
      spy.mockRestore();
    }
    expect(log.stats()).toMatchObject({ written: 0, writeErrors: 3, failed: 25, buffered: 0 });
    expect(warn).toHaveBeenCalledTimes(1); // rate-limited
    // A record that is not JSON fails alone; the rest of its batch is written.
    const bad = rec(model, { inputs: [{ x: 1n }] });
    log.record(bad);
    log.record(rec(model));
    await log.close();
    expect(log.stats()).toMatchObject({ written: 1, failed: 26 });
  });

  it('keeps a shadow answer beside the main one, and skips a request logged twice on one route', async () => {
    const model = `models:/dup-${_name}`;
    const log = new InferenceLog(handle, manual);
    const r = rec(model);
    log.record(r);
    log.record({ ...r, route: 'shadow:b' });
    await log.flush();
    log.record(r);
    await log.close();
    expect(log.stats()).toMatchObject({ written: 2, duplicates: 1, writeErrors: 0 });
    const rows = await log.query({ modelUri: model });
    expect(rows.map((x) => x.route).sort()).toEqual(['main', 'shadow:b'].sort());
  });

  it('queries by model and time, joined with feedback labels', async () => {
    const a = `models:/query-a-${_name}`;
    const b = `models:/query-b-${_name}`;
    const log = new InferenceLog(handle, manual);
    const r1 = rec(a, { time: 1000 });
    const r2 = rec(a, { time: 2000, modelVersion: undefined, route: 'canary' });
    const r3 = rec(a, { time: 3000, status: 500, outputs: [] });
    const r4 = rec(b, { time: 2000 });
    for (const r of [r3, r1, r4, r2]) log.record(r);
    await log.flush();
    const feedback = new FeedbackStore(handle);
    await feedback.add(r2.requestId, { fraud: true });
    await feedback.add(r1.requestId, 0);
    await feedback.add(r1.requestId, 1); // upsert

    const rows = await log.query({ modelUri: a });
    expect(rows.map((r) => r.requestId)).toEqual([r1.requestId, r2.requestId, r3.requestId]);
    expect(rows[0]).toMatchObject({ ...r1, label: 1 });
    expect(rows[0]!.labelTime).toBeTypeOf('number');
    expect(rows[1]).toMatchObject({ requestId: r2.requestId, route: 'canary', label: { fraud: true } });
    expect(rows[1]).not.toHaveProperty('modelVersion');
    expect(rows[2]).toEqual(r3);
    expect((await log.query({ modelUri: a, since: 2000, until: 3000 })).map((r) => r.requestId)).toEqual([
      r2.requestId,
    ]);
    expect(await log.query({ modelUri: a, limit: 1 })).toHaveLength(1);
    expect((await log.query({ since: 2000, until: 2001 })).map((r) => r.requestId).sort()).toEqual(
      [r2.requestId, r4.requestId].sort(),
    );
    await log.close();
  });

  it('feedback: unknown request ids are refused unless allowed; pending records are flushed first', async () => {
    const model = `models:/feedback-${_name}`;
    const strict = new FeedbackStore(handle);
    await expect(strict.add('never-logged', 1)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(strict.add('', 1)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(strict.add('x', undefined)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });

    const lenient = new FeedbackStore(handle, { allowUnknown: true });
    await lenient.add('never-logged', 'late');
    expect(await lenient.get('never-logged')).toMatchObject({ label: 'late' });

    const log = new InferenceLog(handle, manual);
    const r = rec(model);
    log.record(r);
    const withLog = new FeedbackStore(handle, { log });
    await withLog.add(r.requestId, 'yes'); // still only in the buffer: flushed, then accepted
    expect((await log.query({ modelUri: model }))[0]).toMatchObject({ label: 'yes' });
    await log.close();
  });

  describe('POST /feedback over HTTP', () => {
    let app: FastifyInstance;
    let url: string;
    let log: InferenceLog;
    const model = `models:/http-${_name}`;
    const logged: InferenceRecord[] = [];

    beforeAll(async () => {
      log = new InferenceLog(handle, manual);
      for (let i = 0; i < 5; i++) {
        const r = rec(model);
        logged.push(r);
        log.record(r);
      }
      await log.flush();
      app = Fastify();
      app.setErrorHandler(errorHandler);
      await app.register(feedbackRoutes(new FeedbackStore(handle, { log })));
      await app.listen({ port: 0, host: '127.0.0.1' });
      url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/feedback`;
    });
    afterAll(async () => {
      await app.close();
      await log.close();
    });

    const post = async (body: unknown, raw?: string) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: raw ?? JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const labelOf = async (id: string) =>
      (await log.query({ modelUri: model })).find((r) => r.requestId === id)?.label;

    it('accepts one label and a batch', async () => {
      expect(await post({ request_id: logged[0]!.requestId, label: 1 })).toEqual({
        status: 200,
        body: { accepted: 1 },
      });
      const res = await post({
        feedback: [
          { request_id: logged[1]!.requestId, label: 'fraud' },
          { request_id: logged[2]!.requestId, label: { y: [1, 2] } },
          { request_id: logged[0]!.requestId, label: 0 },
        ],
      });
      expect(res).toEqual({ status: 200, body: { accepted: 3 } });
      expect(await labelOf(logged[0]!.requestId)).toBe(0);
      expect(await labelOf(logged[2]!.requestId)).toEqual({ y: [1, 2] });
    });

    it('rejects bad input with Cairn error codes', async () => {
      const missingId = await post({ label: 1 });
      expect(missingId.status).toBe(400);
      expect(missingId.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
      expect(String(missingId.body['message'])).toContain("'request_id'");

      const missingLabel = await post({ request_id: logged[3]!.requestId });
      expect(missingLabel.status).toBe(400);
      expect(String(missingLabel.body['message'])).toContain("'label'");

      const badItem = await post({ feedback: [{ request_id: 7, label: 1 }] });
      expect(badItem.status).toBe(400);
      expect(String(badItem.body['message'])).toContain("'feedback.0.request_id'");

      expect(await post({ feedback: [] })).toMatchObject({ status: 400 });
      expect(await post(undefined, '{"request_id": ')).toMatchObject({
        status: 400,
        body: { error_code: 'BAD_REQUEST' },
      });

      const unknown = await post({ request_id: 'no-such-request', label: 1 });
      expect(unknown).toMatchObject({ status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST' } });
      expect(String(unknown.body['message'])).toContain('no-such-request');

      // All or nothing: one unknown id refuses the whole batch.
      const mixed = await post({
        feedback: [
          { request_id: logged[4]!.requestId, label: 1 },
          { request_id: 'no-such-request', label: 1 },
        ],
      });
      expect(mixed.status).toBe(404);
      expect(await labelOf(logged[4]!.requestId)).toBeUndefined();

      const tooMany = await post({
        feedback: Array.from({ length: 1001 }, () => ({ request_id: logged[4]!.requestId, label: 1 })),
      });
      expect(tooMany).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
      expect(String(tooMany.body['message'])).toContain('at most 1000');
      expect(await labelOf(logged[4]!.requestId)).toBeUndefined();

      const atLimit = await post({
        feedback: Array.from({ length: 1000 }, () => ({ request_id: logged[4]!.requestId, label: 2 })),
      });
      expect(atLimit).toEqual({ status: 200, body: { accepted: 1 } });
    });
  });
});
