import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MetadataDb, openMetadataDb } from '../store/db.js';
import { TrackingService } from './service.js';
import { SqliteBatchWriter } from './sqlite-batch-writer.js';
import { SqliteTrackingStore } from './sqlite-store.js';

describe('SqliteBatchWriter group commit', () => {
  let handle: MetadataDb;
  let service: TrackingService;
  beforeEach(async () => {
    handle = await openMetadataDb('sqlite:///:memory:');
    service = new TrackingService(new SqliteTrackingStore(handle));
  });
  afterEach(async () => handle.close());

  it('writes each batch of a group whole or not at all, independently', async () => {
    const a = (await service.createRun({})).info.run_id;
    const b = (await service.createRun({})).info.run_id;
    await service.logParam(b, 'lr', '0.1');
    const writer = new SqliteBatchWriter(handle.sqlite!);
    const point = (key: string, step: number) => ({ key, value: step, timestamp: step, step });
    const errors = writer.writeGroup([
      { runId: a, batch: { metrics: [point('fresh_a', 1)], params: [], tags: [{ key: 't', value: 'a' }] } },
      // Conflicting param: this batch (its new metric key included) must vanish entirely.
      {
        runId: b,
        batch: {
          metrics: [point('fresh_b', 1)],
          params: [{ key: 'lr', value: '0.2' }],
          tags: [{ key: 't', value: 'b' }],
        },
      },
      { runId: 'f'.repeat(32), batch: { metrics: [point('x', 1)], params: [], tags: [] } },
      { runId: a, batch: { metrics: [point('fresh_a', 2)], params: [], tags: [] } },
    ]);
    expect(errors.map((e) => (e as { code?: string } | undefined)?.code)).toEqual([
      undefined,
      'INVALID_PARAMETER_VALUE',
      'RESOURCE_DOES_NOT_EXIST',
      undefined,
    ]);
    const runA = await service.getRun(a);
    expect(runA.data.metrics).toEqual([point('fresh_a', 2)]);
    expect((await service.getMetricHistory(a, 'fresh_a')).items).toHaveLength(2);
    const runB = await service.getRun(b);
    expect(runB.data.metrics).toEqual([]);
    expect(runB.data.tags.find((t) => t.key === 't')).toBeUndefined();
    const keys = handle.sqlite!.prepare('select key from metric_keys order by key').all();
    expect(keys).toEqual([{ key: 'fresh_a' }]);
    // The writer's key cache holds only committed keys: a later batch can still create fresh_b.
    writer.write(b, { metrics: [point('fresh_b', 3)], params: [], tags: [] });
    expect((await service.getRun(b)).data.metrics).toEqual([point('fresh_b', 3)]);
  });
});
