import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { errorHandler, notFoundHandler } from './errors.js';
import {
  hardenedServerOptions,
  installHardening,
  installJsonParser,
  SCORING_JSON_LIMITS,
} from './hardening.js';
import { routesOf } from './route-table.js';

/** A bare app as another Cairn server (a scoring server) would build it. */
async function scoringApp() {
  const app = Fastify({ bodyLimit: 32 * 1024 * 1024, ...hardenedServerOptions(errorHandler) });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  installHardening(app, { json: SCORING_JSON_LIMITS, allowedHosts: ['scoring.internal'] });
  app.post('/invocations', async (req) => ({
    rows: (req.body as { dataframe_records: unknown[] }).dataframe_records.length,
  }));
  await app.ready();
  return app;
}

describe('installHardening on any server', () => {
  it('gives a scoring server the host check, headers, route table and its larger JSON limits', async () => {
    const app = await scoringApp();
    const records = Array.from({ length: 20_000 }, (_, i) => ({ a: i, b: i, c: i }));
    const ok = await app.inject({
      method: 'POST',
      url: '/invocations',
      headers: { host: 'scoring.internal:8080', 'content-type': 'application/json' },
      payload: JSON.stringify({ dataframe_records: records }),
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ rows: 20_000 });
    expect(ok.headers['x-content-type-options']).toBe('nosniff');

    const foreign = await app.inject({
      method: 'POST',
      url: '/invocations',
      headers: { host: 'localhost' },
      payload: {},
    });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json()).toMatchObject({ error_code: 'PERMISSION_DENIED' });
    expect(routesOf(app).map((r) => `${r.method} ${r.url}`)).toContain('POST /invocations');
    await app.close();
  });

  it('lets a server that resets its parsers put the limited JSON parser back', async () => {
    const app = Fastify(hardenedServerOptions(errorHandler));
    app.setErrorHandler(errorHandler);
    installHardening(app);
    app.removeAllContentTypeParsers();
    installJsonParser(app, { maxDepth: 2, maxKeys: 10 });
    app.post('/x', async (req) => req.body);
    const deep = await app.inject({
      method: 'POST',
      url: '/x',
      headers: { host: 'localhost', 'content-type': 'application/json' },
      payload: '{"a":{"b":{"c":1}}}',
    });
    expect(deep.statusCode).toBe(400);
    expect(deep.json().message).toMatch(/nested deeper than 2/);
    await app.close();
  });
});
