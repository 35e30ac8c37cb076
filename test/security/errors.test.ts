import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import type { ArtifactStore } from '../../src/store/artifact-store.js';
import type { TrackingService } from '../../src/tracking/service.js';
import { createTempPostgres } from '../helpers/postgres.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { leaksInternals } from './backends.js';

const API = '/api/2.0/mlflow';
const GENERIC = { error_code: 'INTERNAL_ERROR', message: 'Internal server error.' };

/** A service whose every method fails the way a bug or a broken driver would, internals and all. */
function brokenService(): TrackingService {
  return new Proxy({} as TrackingService, {
    get: (_t, prop) => () => {
      const e = new TypeError(`Cannot read properties of undefined (reading '${String(prop)}')`);
      e.stack = `TypeError: boom\n    at SqlTrackingStore.getRun (/work/src/tracking/sql-store.ts:42:7)\n    at async SELECT * FROM runs`;
      throw e;
    },
  });
}

describe('errors never leak internals', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    const artifacts = { uri: 'file:///nowhere' } as ArtifactStore;
    app = await buildApp({ tracking: brokenService(), artifacts });
  });
  afterAll(async () => app.close());

  it('answers an internal failure with the generic INTERNAL_ERROR body, nothing more', async () => {
    for (const [method, url, payload] of [
      ['GET', `${API}/experiments/get?experiment_id=1`, undefined],
      ['POST', `${API}/runs/create`, { experiment_id: '0' }],
      ['POST', `${API}/runs/search`, { experiment_ids: ['0'] }],
      ['GET', `/get-artifact?run_uuid=abc&path=x`, undefined],
    ] as const) {
      const res = await app.inject({ method, url, ...(payload ? { payload } : {}) });
      expect(res.statusCode, url).toBe(500);
      expect(res.json(), url).toEqual(GENERIC);
      expect(leaksInternals(res.body)).toBeUndefined();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });
});

describe('errors never leak internals when the database goes away (postgresql)', () => {
  let s: TestServer;
  let pg: Awaited<ReturnType<typeof createTempPostgres>>;
  beforeAll(async () => {
    pg = await createTempPostgres();
    s = await startTestServer(pg.uri);
    expect((await s.json('POST', `${API}/experiments/create`, { name: 'before' })).status).toBe(200);
    await pg.drop(); // terminates the server's connections and removes the database
  });
  afterAll(async () => {
    await s.stop();
  });

  it('answers with a coded error and no SQL, driver text or paths, and keeps serving', async () => {
    for (const [method, url, body] of [
      ['GET', `${API}/experiments/get?experiment_id=1`, undefined],
      ['POST', `${API}/experiments/create`, { name: 'after' }],
      ['POST', `${API}/runs/search`, { experiment_ids: ['1'], filter: "params.p = 'x'" }],
      ['GET', `${API}/registered-models/search`, undefined],
    ] as const) {
      const res = await s.json(method, url, body);
      expect(res.status, url).toBeGreaterThanOrEqual(500);
      expect(res.body, url).toEqual(GENERIC);
      expect(leaksInternals(JSON.stringify(res.body)), url).toBeUndefined();
    }
    expect((await s.json('GET', '/health')).status).toBe(200);
  });
});
