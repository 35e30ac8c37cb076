import { lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { artifactStoreSuite, expectCode, readText, text } from '../../test/artifact-store.suite.js';
import { startServer } from '../server/start.js';
import { scopedArtifactStore } from './artifact-backends.js';
import { HttpArtifactStore } from './http-artifact-store.js';

/** Every file and directory under `dir`, with sizes for files. */
async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) out.push(`${child}/`, ...(await walk(dir, child)));
    else out.push(`${child} ${(await lstat(path.join(dir, child))).size}`);
  }
  return out.sort();
}

/**
 * A live server whose artifact destination is `<base>/root`, with a file outside it. The snapshot
 * waits until the tree is still (the server learns of an upload the client broke off a moment after
 * the client does, then cleans up).
 */
async function liveServer() {
  const base = await mkdtemp(path.join(tmpdir(), 'cairn-http-artifacts-'));
  const dbDir = await mkdtemp(path.join(tmpdir(), 'cairn-http-artifacts-db-'));
  await mkdir(path.join(base, 'outside'));
  await writeFile(path.join(base, 'outside', 'secret.txt'), 'secret');
  const server = await startServer({
    port: 0,
    backendStoreUri: `sqlite:///${path.join(dbDir, 'cairn.db')}`,
    artifactsDestination: path.join(base, 'root'),
  });
  const snapshot = async () => {
    let last = '';
    for (let i = 0; ; i++) {
      const files = await walk(base).catch(() => undefined);
      const key = JSON.stringify(files);
      if (files && ((key === last && !key.includes('.cairn-upload-')) || i >= 100)) return files;
      last = key;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const cleanup = async () => {
    await server.close();
    await rm(base, { recursive: true, force: true });
    await rm(dbDir, { recursive: true, force: true });
  };
  return { url: server.url, snapshot, cleanup };
}

artifactStoreSuite('HttpArtifactStore against a live server', async () => {
  const srv = await liveServer();
  return { store: new HttpArtifactStore(srv.url), snapshot: srv.snapshot, cleanup: srv.cleanup };
});

artifactStoreSuite('scopedArtifactStore over HttpArtifactStore', async () => {
  const srv = await liveServer();
  const root = new HttpArtifactStore(srv.url);
  await root.put('1/other-run/artifacts/model.bin', text('another run'));
  return {
    store: scopedArtifactStore(root, '1/run-a/artifacts'),
    snapshot: srv.snapshot,
    cleanup: srv.cleanup,
  };
});

artifactStoreSuite('HttpArtifactStore rooted at a directory under the proxy', async () => {
  const srv = await liveServer();
  await new HttpArtifactStore(srv.url).put('1/other-run/artifacts/model.bin', text('another run'));
  const store = new HttpArtifactStore(`${srv.url}/api/2.0/mlflow-artifacts/artifacts/1/run-a/artifacts/`);
  expect(store.uri).toBe(`${srv.url}/api/2.0/mlflow-artifacts/artifacts/1/run-a/artifacts`);
  return { store, snapshot: srv.snapshot, cleanup: srv.cleanup };
});

/** A bare HTTP server answering every request with `reply`, recording what it saw. */
async function fakeServer(reply: { status: number; body: string; type?: string }) {
  const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders }> = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      res.writeHead(reply.status, { 'content-type': reply.type ?? 'application/json' });
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('HttpArtifactStore on the wire', () => {
  it('sends the extra headers and encodes each path segment', async () => {
    const fake = await fakeServer({ status: 200, body: '{}' });
    try {
      const store = new HttpArtifactStore(`${fake.url}/`, { headers: { authorization: 'Bearer t0k' } });
      expect(store.uri).toBe(`${fake.url}/api/2.0/mlflow-artifacts/artifacts`);
      await store.put('dir one/a+b (1).txt', text('x'));
      await store.delete('dir one');
      expect(await store.list('dir one')).toEqual([]);
      expect(fake.seen.map((r) => `${r.method} ${r.url}`)).toEqual([
        'PUT /api/2.0/mlflow-artifacts/artifacts/dir%20one/a%2Bb%20(1).txt',
        'DELETE /api/2.0/mlflow-artifacts/artifacts/dir%20one',
        'GET /api/2.0/mlflow-artifacts/artifacts?path=dir+one',
      ]);
      for (const r of fake.seen) expect(r.headers['authorization']).toBe('Bearer t0k');
    } finally {
      await fake.close();
    }
  });

  it("turns the server's {error_code, message} into a CairnError", async () => {
    const fake = await fakeServer({
      status: 403,
      body: JSON.stringify({ error_code: 'PERMISSION_DENIED', message: 'no access to x' }),
    });
    try {
      const error = await new HttpArtifactStore(fake.url).get('x').catch((e: unknown) => e);
      expect(error).toMatchObject({
        name: 'CairnError',
        code: 'PERMISSION_DENIED',
        message: 'no access to x',
      });
    } finally {
      await fake.close();
    }
  });

  it('maps a bare HTTP status, and an unreachable server, to codes', async () => {
    const fake = await fakeServer({ status: 401, body: '<html>login</html>', type: 'text/html' });
    try {
      await expectCode(new HttpArtifactStore(fake.url).put('a.txt', text('a')), 'UNAUTHENTICATED');
    } finally {
      await fake.close();
    }
    await expectCode(new HttpArtifactStore(fake.url).list(''), 'TEMPORARILY_UNAVAILABLE');
  });

  it('reads what the local adapter wrote under the destination', async () => {
    const srv = await liveServer();
    try {
      const store = new HttpArtifactStore(srv.url);
      await store.put('1/r/artifacts/model/MLmodel', text('flavors: {}'));
      expect(await readText(store, '1/r/artifacts/model/MLmodel')).toBe('flavors: {}');
      expect(await srv.snapshot()).toContain('root/1/r/artifacts/model/MLmodel 11');
    } finally {
      await srv.cleanup();
    }
  });
});
