import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CairnError } from '../../src/core/errors.js';
import { type FetchPolicy, guardedFetch } from '../../src/core/guarded-fetch.js';
import { isInternalAddress } from '../../src/core/ip-ranges.js';
import { HttpArtifactStore } from '../../src/store/http-artifact-store.js';
import type { TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';
import { BACKENDS, startSecurityServer } from './backends.js';

const API = '/api/2.0/mlflow';

/** A local HTTP server that answers each request with `handler`, recording what reached it. */
async function httpServer(
  handler: (
    url: string,
    reply: (status: number, headers?: Record<string, string>, body?: string) => void,
  ) => void,
): Promise<{
  url: string;
  port: number;
  hits: Array<{ url: string; headers: IncomingHttpHeaders }>;
  close(): Promise<void>;
}> {
  const hits: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
  const server: Server = createServer((req, res) => {
    hits.push({ url: req.url ?? '', headers: req.headers });
    handler(req.url ?? '', (status, headers = {}, body = '') => {
      res.writeHead(status, headers);
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function refusal(p: Promise<unknown>): Promise<CairnError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CairnError);
  return e as CairnError;
}

describe('guarded fetch: allow-list, connect-time address check, every redirect re-checked', () => {
  let target: Awaited<ReturnType<typeof httpServer>>;
  let redirector: Awaited<ReturnType<typeof httpServer>>;
  let redirectTo = '';
  beforeAll(async () => {
    target = await httpServer((_url, reply) => reply(200, { 'content-type': 'text/plain' }, 'secret'));
    redirector = await httpServer((url, reply) =>
      url === '/ok' ? reply(200, {}, 'fine') : reply(302, { location: redirectTo }),
    );
  });
  afterAll(async () => {
    await target.close();
    await redirector.close();
  });
  const trusted = (): FetchPolicy => ({
    allowedHosts: [`127.0.0.1:${redirector.port}`],
    internalHosts: [`127.0.0.1:${redirector.port}`],
  });

  it('classifies internal addresses, IPv4 inside IPv6 included', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '0.0.0.0',
      '100.64.0.1',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '64:ff9b::a9fe:a9fe',
      '2002:a9fe:a9fe::1',
      'not-an-ip',
    ])
      expect(isInternalAddress(a), a).toBe(true);
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8'])
      expect(isInternalAddress(a), a).toBe(false);
  });

  it('fetches an allowed internal host and follows a redirect that stays allowed', async () => {
    redirectTo = '/ok';
    const res = await guardedFetch(`${redirector.url}/start`, {}, trusted());
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('fine');
  });

  it('refuses a host not on the allow-list before connecting', async () => {
    const before = target.hits.length;
    const e = await refusal(guardedFetch(`${target.url}/x`, {}, trusted()));
    expect(e.code).toBe('PERMISSION_DENIED');
    expect(target.hits.length).toBe(before);
  });

  it('refuses a redirect to a forbidden host, and the forbidden host sees nothing', async () => {
    const before = target.hits.length;
    for (const to of [
      `${target.url}/latest/meta-data`, // another port: not on the list
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:169.254.169.254]/',
      'file:///etc/passwd',
      'gopher://127.0.0.1:6379/_INFO',
      `http://user:pw@127.0.0.1:${redirector.port}/ok`,
    ]) {
      redirectTo = to;
      const e = await refusal(guardedFetch(`${redirector.url}/start`, {}, trusted()));
      expect(e.code, to).toBe('PERMISSION_DENIED');
    }
    expect(target.hits.length).toBe(before);
  });

  it('checks the resolved address at connect time: an allowed name resolving to loopback is refused', async () => {
    const before = target.hits.length;
    // `localhost` is on the allow-list but not trusted as internal: its address is checked.
    const policy = {
      allowedHosts: ['localhost', `127.0.0.1:${redirector.port}`],
      internalHosts: [`127.0.0.1:${redirector.port}`],
    };
    const direct = await refusal(guardedFetch(`http://localhost:${target.port}/`, {}, policy));
    expect(direct.message).toMatch(/resolves to internal address/);
    redirectTo = `http://localhost:${target.port}/`;
    const viaRedirect = await refusal(guardedFetch(`${redirector.url}/start`, {}, policy));
    expect(viaRedirect.message).toMatch(/resolves to internal address/);
    // An allowed `*` still refuses literal internal addresses.
    const star = await refusal(guardedFetch(`http://169.254.169.254/`, {}, { allowedHosts: ['*'] }));
    expect(star.code).toBe('PERMISSION_DENIED');
    expect(target.hits.length).toBe(before);
  });

  it('stops after too many redirects and drops credentials on a cross-origin hop', async () => {
    redirectTo = '/loop';
    const e = await refusal(guardedFetch(`${redirector.url}/start`, {}, { ...trusted(), maxRedirects: 3 }));
    expect(e.message).toMatch(/more than 3 redirects/);
    redirectTo = `http://localhost:${target.port}/landing`;
    const policy = {
      allowedHosts: [`127.0.0.1:${redirector.port}`, `localhost:${target.port}`],
      internalHosts: [`127.0.0.1:${redirector.port}`, `localhost:${target.port}`],
    };
    const res = await guardedFetch(
      `${redirector.url}/start`,
      { headers: { Authorization: 'Bearer t0k' } },
      policy,
    );
    expect(await res.text()).toBe('secret');
    const landing = target.hits.at(-1)!;
    expect(landing.url).toBe('/landing');
    expect(landing.headers.authorization).toBeUndefined();
  });

  it('HttpArtifactStore follows no redirect away from its proxy host', async () => {
    const before = target.hits.length;
    redirectTo = `${target.url}/stolen`;
    const store = new HttpArtifactStore(redirector.url, { headers: { authorization: 'Bearer t0k' } });
    const e = await refusal(store.get('a.txt'));
    expect(e.code).toBe('PERMISSION_DENIED');
    expect(target.hits.length).toBe(before);
  });
});

describe.each(BACKENDS)('SSRF through stored URIs (%s)', (backend) => {
  let s: TestServer;
  let outside: { dir: string; remove(): Promise<void> };
  beforeAll(async () => {
    s = await startSecurityServer(backend);
    outside = await tempDir('cairn-outside-');
    await writeFile(path.join(outside.dir, 'secret.txt'), 'top secret');
  });
  afterAll(async () => {
    await s.stop();
    await outside.remove();
  });

  it('refuses experiment artifact locations outside the artifact root', async () => {
    const before = (await s.json('POST', `${API}/experiments/search`, { max_results: 1000 })).body;
    for (const location of [
      'http://169.254.169.254/latest/meta-data',
      'https://example.com/artifacts',
      'file:///etc',
      '/etc',
      outside.dir,
      `file://${outside.dir}`,
      's3://someone-elses-bucket/prefix',
      'gs://bucket/x',
      `${s.artifactsDir}/../escape`,
      `file://${s.artifactsDir}/%2e%2e/escape`,
      `${s.artifactsDir}/a/%252e%252e/%252e%252e/b`,
      'mlflow-artifacts:/../../etc',
      'mlflow-artifacts:/%2e%2e/x',
      'C:\\Windows',
      'relative/dir',
    ]) {
      const res = await s.json('POST', `${API}/experiments/create`, {
        name: `e-${location}`,
        artifact_location: location,
      });
      expect(res.status, location).toBe(400);
      expect(res.body['error_code'], location).toBe('INVALID_PARAMETER_VALUE');
    }
    expect((await s.json('POST', `${API}/experiments/search`, { max_results: 1000 })).body).toEqual(before);
  });

  it('accepts locations under the artifact root and mlflow-artifacts:', async () => {
    for (const location of [
      'mlflow-artifacts:/custom/place',
      `${s.artifactsDir}/mine`,
      `file://${s.artifactsDir}/also`,
    ]) {
      const res = await s.json('POST', `${API}/experiments/create`, {
        name: `ok-${location}`,
        artifact_location: location,
      });
      expect(res.status, location).toBe(200);
    }
  });

  it('refuses model-version sources that point at URLs or outside the root', async () => {
    expect((await s.json('POST', `${API}/registered-models/create`, { name: 'ssrf-model' })).status).toBe(
      200,
    );
    for (const source of [
      'http://169.254.169.254/latest/meta-data/iam',
      'https://attacker.example/model',
      'file:///etc/passwd',
      '/etc',
      outside.dir,
      's3://someone-elses-bucket/model',
      `${s.artifactsDir}/../x`,
      'runs:/../../etc',
      'models:/../1',
      'mlflow-artifacts:/%2e%2e/%2e%2e/etc',
      'ftp://host/x',
    ]) {
      const res = await s.json('POST', `${API}/model-versions/create`, { name: 'ssrf-model', source });
      expect(res.status, source).toBe(400);
      expect(res.body['error_code'], source).toBe('INVALID_PARAMETER_VALUE');
    }
    const versions = await s.json(
      'GET',
      `${API}/model-versions/search?filter=${encodeURIComponent("name='ssrf-model'")}`,
    );
    expect(versions.body['model_versions']).toBeUndefined();
  });

  it('does not list or serve a run whose artifacts live outside the root, even through a symlink', async () => {
    // A symbolic link inside the root that points out of it is refused too.
    await mkdir(path.join(s.artifactsDir, '0'), { recursive: true });
    const run = await s.json('POST', `${API}/runs/create`, { experiment_id: '0' });
    const info = (run.body['run'] as { info: { run_id: string; artifact_uri: string } }).info;
    const runDir = path.join(s.artifactsDir, '0', info.run_id, 'artifacts');
    await mkdir(runDir, { recursive: true });
    await symlink(outside.dir, path.join(runDir, 'link'));
    const list = await s.json('GET', `${API}/artifacts/list?run_id=${info.run_id}&path=link`);
    expect(list.status).toBe(400);
    const file = await fetch(`${s.url}/get-artifact?run_uuid=${info.run_id}&path=link/secret.txt`);
    expect(file.status).toBe(400);
    expect(await file.text()).not.toContain('top secret');
    const proxied = await fetch(
      `${s.url}${API.replace('mlflow', 'mlflow-artifacts')}/artifacts/0/${info.run_id}/artifacts/link/secret.txt`,
    );
    expect(proxied.status).toBe(400);
    expect(await proxied.text()).not.toContain('top secret');
  });
});
