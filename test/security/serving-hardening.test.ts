import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServingHandle, startServing } from '../../src/serving/server.js';
import { ROOT } from '../helpers/cli.js';
import { rawRequest } from './raw-http.js';

const XGB_DIR = path.join(ROOT, 'test/fixtures/models/xgboost/binary/json');
const JSON_TYPE = { 'content-type': 'application/json' };

/** `cairn serve` inherits the tracking server's hardening: the same checks on the scoring routes. */
describe('scoring server hardening', () => {
  let server: ServingHandle;
  let host: string;
  beforeAll(async () => {
    server = await startServing({ modelDir: XGB_DIR, port: 0, workers: 0 });
    host = new URL(server.url).host;
  });
  afterAll(() => server.close());

  it('refuses a foreign Host (DNS rebinding) before scoring, and answers its own', async () => {
    const body = JSON.stringify({ inputs: [[1, 2, 3, 4]] });
    const foreign = await rawRequest(
      server.url,
      'POST',
      '/invocations',
      { host: 'evil.example', ...JSON_TYPE },
      body,
    );
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.text)).toMatchObject({ error_code: 'PERMISSION_DENIED' });
    const ping = await rawRequest(server.url, 'GET', '/ping', { host: 'evil.example' });
    expect(ping.status).toBe(403);
    const own = await rawRequest(server.url, 'GET', '/ping', { host });
    expect(own.status).toBe(200);
    expect(own.headers['x-content-type-options']).toBe('nosniff');
  });

  it('refuses cross-site writes and answers no CORS headers unless configured', async () => {
    const res = await rawRequest(
      server.url,
      'POST',
      '/invocations',
      { host, origin: 'https://attacker.example', ...JSON_TYPE },
      '{"inputs": [[1]]}',
    );
    expect(res.status).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('bounds JSON depth, refuses prototype keys and over-long bodies with the scoring error shape', async () => {
    const deep = `${'['.repeat(40)}1${']'.repeat(40)}`;
    const tooDeep = await rawRequest(
      server.url,
      'POST',
      '/invocations',
      { host, ...JSON_TYPE },
      `{"inputs": ${deep}}`,
    );
    expect(tooDeep.status).toBe(400);
    expect(JSON.parse(tooDeep.text).error_code).toBe('BAD_REQUEST');
    const proto = await rawRequest(
      server.url,
      'POST',
      '/invocations',
      { host, ...JSON_TYPE },
      '{"dataframe_records": [{"__proto__": {"x": 1}}]}',
    );
    expect(proto.status).toBe(400);
    const big = await rawRequest(server.url, 'POST', '/invocations', {
      host,
      ...JSON_TYPE,
      'content-length': String(64 * 1024 * 1024),
    });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.text).error_code).toBe('REQUEST_PAYLOAD_TOO_LARGE');
  });

  it('still scores a well-formed request after all that', async () => {
    const res = await fetch(`${server.url}/invocations`, {
      method: 'POST',
      headers: JSON_TYPE,
      body: JSON.stringify({
        dataframe_split: { columns: ['x0', 'x1', 'x2', 'x3', 'x4', 'x5'], data: [[1, 2, 3, 4, 5, 6]] },
      }),
    });
    const body = (await res.json()) as { predictions?: unknown[] };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.predictions).toHaveLength(1);
  });
});
