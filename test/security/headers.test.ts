import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopbackBind } from '../../src/server/allowed-hosts.js';
import type { TestServer } from '../helpers/server.js';
import { BACKENDS, startSecurityServer } from './backends.js';
import { rawRequest } from './raw-http.js';

const API = '/api/2.0/mlflow';
const PREFIXES = ['/api/2.0', '/ajax-api/2.0'];

describe.each(BACKENDS)('security headers, CORS and allowed hosts (%s)', (backend) => {
  let s: TestServer;
  let runId: string;
  beforeAll(async () => {
    s = await startSecurityServer(backend);
    const run = await s.json('POST', `${API}/runs/create`, { experiment_id: '0' });
    runId = (run.body['run'] as { info: { run_id: string } }).info.run_id;
    for (const name of ['page.html', 'script.js', 'note.txt', 'image.svg']) {
      const put = await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts/0/${runId}/artifacts/${name}`, {
        method: 'PUT',
        body: '<html><script>alert(document.cookie)</script></html>',
      });
      expect(put.status).toBe(200);
    }
  });
  afterAll(async () => s.stop());

  it('sends nosniff on every response: JSON, text, errors, 404s, malformed URLs', async () => {
    const cases: Array<[string, string]> = [
      ['GET', '/health'],
      ['GET', '/version'],
      ['GET', `${API}/experiments/get?experiment_id=0`],
      ['GET', `${API}/experiments/get?experiment_id=999999`],
      ['GET', '/no/such/route'],
      ['GET', '/api/2.0/mlflow-artifacts/artifacts/%zz'],
      ['POST', `${API}/runs/create`],
    ];
    for (const [method, p] of cases) {
      const res = await rawRequest(s.url, method, p);
      expect(res.headers['x-content-type-options'], `${method} ${p}`).toBe('nosniff');
    }
  });

  it('serves every artifact as an attachment, never as a page, on every artifact route', async () => {
    for (const name of ['page.html', 'script.js', 'note.txt', 'image.svg']) {
      const urls = [
        ...PREFIXES.map((p) => `${p}/mlflow-artifacts/artifacts/0/${runId}/artifacts/${name}`),
        `/get-artifact?run_uuid=${runId}&path=${name}`,
        `/get-artifact?run_id=${runId}&path=${name}`,
      ];
      for (const url of urls) {
        const res = await rawRequest(s.url, 'GET', url);
        expect(res.status, url).toBe(200);
        expect(res.headers['content-disposition'], url).toMatch(/^attachment; filename\*=UTF-8''/);
        expect(res.headers['x-content-type-options'], url).toBe('nosniff');
        expect(String(res.headers['content-type']), url).not.toMatch(/html|javascript|svg/);
      }
    }
  });

  it('keeps CORS off by default: no Access-Control headers, preflights unanswered', async () => {
    const origin = { origin: 'https://evil.example' };
    const get = await rawRequest(s.url, 'GET', `${API}/experiments/get?experiment_id=0`, origin);
    expect(get.status).toBe(200);
    expect(Object.keys(get.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    const preflight = await rawRequest(s.url, 'OPTIONS', `${API}/runs/search`, {
      ...origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    });
    expect(preflight.status).toBe(404);
    expect(Object.keys(preflight.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('refuses a cross-site write (the CSRF shape) and writes nothing', async () => {
    const before = await s.json('POST', `${API}/experiments/search`, { max_results: 1000 });
    for (const [ct, body] of [
      ['application/json', '{"name":"csrf"}'],
      ['text/plain', '{"name":"csrf"}'],
      ['application/x-www-form-urlencoded', 'name=csrf'],
    ] as const) {
      const res = await rawRequest(
        s.url,
        'POST',
        `${API}/experiments/create`,
        { origin: 'https://evil.example', 'content-type': ct },
        body,
      );
      expect(res.status, ct).toBe(403);
      expect(JSON.parse(res.text).error_code).toBe('PERMISSION_DENIED');
    }
    const nullOrigin = await rawRequest(
      s.url,
      'DELETE',
      `/api/2.0/mlflow-artifacts/artifacts/0/${runId}/artifacts/note.txt`,
      {
        origin: 'null',
      },
    );
    expect(nullOrigin.status).toBe(403);
    expect((await s.json('POST', `${API}/experiments/search`, { max_results: 1000 })).body).toEqual(
      before.body,
    );
    // The server's own origin (its UI) may write.
    const own = await rawRequest(
      s.url,
      'POST',
      `${API}/experiments/create`,
      { origin: s.url, 'content-type': 'application/json' },
      '{"name":"same-origin"}',
    );
    expect(own.status).toBe(200);
    // Behind a proxy that rewrites Host, the public name comes as X-Forwarded-Host.
    const proxied = await rawRequest(
      s.url,
      'POST',
      `${API}/experiments/create`,
      {
        origin: 'https://cairn.example.com',
        'x-forwarded-host': 'cairn.example.com',
        'content-type': 'application/json',
      },
      '{"name":"behind-a-proxy"}',
    );
    expect(proxied.status).toBe(200);
  });

  it('answers only allowed Host headers (DNS rebinding) and runs no handler for others', async () => {
    const port = new URL(s.url).port;
    for (const host of [
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      `[::1]:${port}`,
      'localhost',
      'LOCALHOST:1',
    ]) {
      const res = await rawRequest(s.url, 'GET', '/health', { host });
      expect(res.status, host).toBe(200);
    }
    const before = await s.json('POST', `${API}/experiments/search`, { max_results: 1000 });
    for (const host of [
      'attacker.example',
      `attacker.example:${port}`,
      'localhost.attacker.example',
      '127.0.0.2',
      '0.0.0.0',
    ]) {
      const res = await rawRequest(
        s.url,
        'POST',
        `${API}/experiments/create`,
        { host, 'content-type': 'application/json' },
        '{"name":"rebound"}',
      );
      expect(res.status, host).toBe(403);
      expect(JSON.parse(res.text)).toMatchObject({ error_code: 'PERMISSION_DENIED' });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
    // HTTP/1.0 lets a client leave Host out: no Host is no allowed host.
    const noHost = await rawSocket(s.url, 'GET /health HTTP/1.0\r\n\r\n');
    expect(noHost).toMatch(/^HTTP\/1\.[01] 403/);
    expect((await s.json('POST', `${API}/experiments/search`, { max_results: 1000 })).body).toEqual(
      before.body,
    );
  });
});

/** Sends bytes as they are and returns everything the server answers before closing. */
function rawSocket(baseUrl: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    let out = '';
    socket.on('data', (d: Buffer) => {
      out += d.toString('latin1');
    });
    socket.once('error', reject);
    socket.once('close', () => resolve(out));
  });
}

describe('configured CORS origins and allowed hosts', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startSecurityServer('sqlite', {
      corsAllowedOrigins: ['https://app.example.com'],
      allowedHosts: ['cairn.example.com', '*.corp.example', '127.0.0.1'],
    });
  });
  afterAll(async () => s.stop());

  it('answers an allowed origin, its preflight included, and nothing for others', async () => {
    const allowed = await rawRequest(s.url, 'GET', '/health', { origin: 'https://app.example.com' });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(allowed.headers['vary']).toMatch(/Origin/);
    const preflight = await rawRequest(s.url, 'OPTIONS', `${API}/runs/search`, {
      origin: 'https://app.example.com',
      'access-control-request-method': 'POST',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toMatch(/POST/);
    expect(preflight.headers['access-control-allow-headers']).toMatch(/Content-Type/i);
    const write = await rawRequest(
      s.url,
      'POST',
      `${API}/experiments/create`,
      { origin: 'https://app.example.com', 'content-type': 'application/json' },
      '{"name":"from-app"}',
    );
    expect(write.status).toBe(200);
    for (const origin of [
      'https://evil.example',
      'https://app.example.com.evil.example',
      'http://app.example.com',
    ]) {
      const other = await rawRequest(s.url, 'OPTIONS', `${API}/runs/search`, {
        origin,
        'access-control-request-method': 'POST',
      });
      expect(other.status, origin).toBe(404);
      expect(other.headers['access-control-allow-origin'], origin).toBeUndefined();
    }
  });

  it('matches exact hosts, wildcard subdomains and nothing else', async () => {
    for (const host of [
      'cairn.example.com',
      'cairn.example.com:443',
      'a.corp.example',
      'a.b.corp.example:8080',
      '127.0.0.1',
    ]) {
      expect((await rawRequest(s.url, 'GET', '/health', { host })).status, host).toBe(200);
    }
    for (const host of [
      'corp.example',
      'evilcorp.example',
      'example.com',
      'localhost',
      'cairn.example.com.evil',
    ]) {
      expect((await rawRequest(s.url, 'GET', '/health', { host })).status, host).toBe(403);
    }
  });

  it('treats only loopback bind addresses as loopback', () => {
    for (const h of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3'])
      expect(isLoopbackBind(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.10', 'cairn.example.com'])
      expect(isLoopbackBind(h), h).toBe(false);
  });
});
