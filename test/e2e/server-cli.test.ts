import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exitCode, spawnCli, waitForOutput } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

describe('cairn server (the CLI)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('serves health, takes MLflow flags, and drains an in-flight upload on SIGTERM before exiting 0', async () => {
    const tmp = await tempDir();
    cleanups.push(tmp.remove);
    const artifacts = path.join(tmp.dir, 'art');
    const child = spawnCli([
      'server',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--backend-store-uri',
      `sqlite:///${path.join(tmp.dir, 'meta.db')}`,
      '--artifacts-destination',
      artifacts,
    ]);
    cleanups.push(async () => void child.kill('SIGKILL'));
    const [, url] = await waitForOutput(child, /listening on (http:\/\/\S+)/);
    const health = await fetch(`${url}/health`);
    expect(await health.text()).toBe('OK');

    // Start a slow streamed upload, signal the server mid-way, then finish the upload.
    const target = new URL(`${url}/api/2.0/mlflow-artifacts/artifacts/0/run/artifacts/big.bin`);
    const chunk = Buffer.alloc(64 * 1024, 7);
    const response = new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'PUT',
          headers: { 'transfer-encoding': 'chunked' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      (async () => {
        for (let i = 0; i < 8; i++) {
          req.write(chunk);
          if (i === 3) child.kill('SIGTERM');
          await new Promise((r) => setTimeout(r, 50));
        }
        req.end();
      })();
    });
    expect(await response).toBe(200);
    expect(await exitCode(child)).toBe(0);
    const stored = await readFile(path.join(artifacts, '0/run/artifacts/big.bin'));
    expect(stored.length).toBe(8 * chunk.length);
  });

  it('refuses an unknown backend store scheme with a clear error', async () => {
    const child = spawnCli(['server', '--port', '0', '--backend-store-uri', 'mongodb://x/y']);
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    expect(await exitCode(child)).toBe(1);
    expect(err).toMatch(/INVALID_PARAMETER_VALUE: Unknown .*scheme.*sqlite:, postgresql:/);
  });
});
