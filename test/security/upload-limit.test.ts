import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactProxyRoutes } from '../../src/server/artifact-proxy.js';
import { errorHandler } from '../../src/server/errors.js';
import { hardenedServerOptions, installHardening } from '../../src/server/hardening.js';
import { LocalArtifactStore } from '../../src/store/local-artifact-store.js';
import type { TrackingService } from '../../src/tracking/service.js';
import { listTree } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';

/** PUTs `chunks` one by one (chunked transfer, so no Content-Length) and returns the status. */
function chunkedPut(url: string, chunks: Buffer[]): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    // Once the server has answered (a 413 mid-upload), stop writing: it closes the connection, and
    // a write after that fails with EPIPE, which is the client's business, not the answer.
    let answered = false;
    const req = request(url, { method: 'PUT', agent: false }, (res) => {
      answered = true;
      let text = '';
      res.on('data', (d: Buffer) => {
        text += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    (async () => {
      for (const c of chunks) {
        if (req.destroyed || answered) return;
        req.write(c);
        await new Promise((r) => setTimeout(r, 2));
      }
      req.end();
    })().catch(reject);
  });
}

describe('artifact uploads are limited while they stream', () => {
  let app: FastifyInstance;
  let tmp: { dir: string; remove(): Promise<void> };
  let base: string;
  beforeAll(async () => {
    tmp = await tempDir();
    app = Fastify(hardenedServerOptions(errorHandler));
    app.setErrorHandler(errorHandler);
    installHardening(app);
    const deps = {
      tracking: {} as TrackingService,
      proxyRoot: new LocalArtifactStore(path.join(tmp.dir, 'art')),
    };
    await app.register(artifactProxyRoutes({ ...deps, maxUploadBytes: 10_000 }), {
      prefix: '/mlflow-artifacts',
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/mlflow-artifacts/artifacts`;
  });
  afterAll(async () => {
    await app.close();
    await tmp.remove();
  });

  it('takes an upload within the limit', async () => {
    const res = await chunkedPut(`${base}/ok.bin`, [Buffer.alloc(4000), Buffer.alloc(4000)]);
    expect(res.status).toBe(200);
  });

  it('refuses a chunked upload that grows past the limit with 413 and keeps nothing of it', async () => {
    const res = await chunkedPut(
      `${base}/big.bin`,
      Array.from({ length: 20 }, () => Buffer.alloc(4000)),
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text)).toMatchObject({ error_code: 'REQUEST_PAYLOAD_TOO_LARGE' });
    expect(await listTree(path.join(tmp.dir, 'art'))).toEqual(['ok.bin']);
  });

  it('refuses an upload whose Content-Length is over the limit before reading it', async () => {
    const res = await fetch(`${base}/declared.bin`, { method: 'PUT', body: Buffer.alloc(10_001) });
    expect(res.status).toBe(413);
    expect(await listTree(path.join(tmp.dir, 'art'))).toEqual(['ok.bin']);
  });
});
