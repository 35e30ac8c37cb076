import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCode, spawnCli, waitForOutput } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { rawRequest } from './raw-http.js';

describe('cairn server --allowed-hosts and --cors-allowed-origins', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('takes the comma lists and applies them', async () => {
    const tmp = await tempDir();
    cleanups.push(tmp.remove);
    const server = spawnCli([
      'server',
      '--port',
      '0',
      '--backend-store-uri',
      `sqlite:///${path.join(tmp.dir, 'c.db')}`,
      '--artifacts-destination',
      path.join(tmp.dir, 'art'),
      '--allowed-hosts',
      'cairn.example.com, *.corp.example',
      '--cors-allowed-origins',
      'https://app.example.com',
    ]);
    cleanups.push(async () => {
      server.kill('SIGTERM');
      await exitCode(server);
    });
    const [, url] = await waitForOutput(server, /listening on (http:\/\/\S+)/, 60_000);
    expect((await rawRequest(url!, 'GET', '/health', { host: 'cairn.example.com' })).status).toBe(200);
    expect((await rawRequest(url!, 'GET', '/health', { host: 'x.corp.example:5000' })).status).toBe(200);
    // The loopback defaults are replaced, not extended.
    expect((await rawRequest(url!, 'GET', '/health', { host: '127.0.0.1' })).status).toBe(403);
    const preflight = await rawRequest(url!, 'OPTIONS', '/api/2.0/mlflow/runs/search', {
      host: 'cairn.example.com',
      origin: 'https://app.example.com',
      'access-control-request-method': 'POST',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
  }, 90_000);
});
