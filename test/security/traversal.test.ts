import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listTree, type TestServer } from '../helpers/server.js';
import { BACKENDS, startSecurityServer } from './backends.js';
import { rawRequest } from './raw-http.js';

const SENTINEL = 'SENTINEL-outside-the-artifact-root';

/**
 * Hostile artifact paths, as a client would put them in a query parameter (they are
 * percent-encoded once more on the way) and as raw URL path text.
 */
const HOSTILE = [
  '..',
  '../secret.txt',
  '../../secret.txt',
  'a/../../secret.txt',
  '..%2fsecret.txt',
  '%2e%2e/secret.txt',
  '%2e%2e%2fsecret.txt',
  '%252e%252e%252fsecret.txt',
  '%25252e%25252e/secret.txt',
  '..\\secret.txt',
  '..%5csecret.txt',
  '/etc/passwd',
  '%2fetc%2fpasswd',
  '//etc/passwd',
  'C:/Windows/win.ini',
  'c:%5cWindows',
  'a/./b',
  '.',
  '...',
  'a//b',
  'a%00.txt',
  'a\u0000b',
  'a\u0001b',
  'a%0d%0aSet-Cookie:x',
  'a#frag',
  'a%23frag',
  'a?q=1',
  'a%3fq=1',
  '%c0%ae%c0%ae/secret.txt',
  '%e0%80%ae%e0%80%ae/secret.txt',
  '%',
  '%zz',
  '%ed%a0%80', // a lone surrogate, UTF-8 encoded
  `${'a/'.repeat(600)}x`,
];

/** A drive letter is only hostile at the start: below a prefix, `C:` is an ordinary (odd) name. */
const HOSTILE_BELOW = HOSTILE.filter((p) => !/^[A-Za-z]:/.test(p));

describe.each(BACKENDS)('path traversal in every artifact and registry endpoint (%s)', (backend) => {
  let s: TestServer;
  let runId: string;
  let runPrefix: string;
  let before: string[];
  beforeAll(async () => {
    s = await startSecurityServer(backend);
    const run = await s.json('POST', '/api/2.0/mlflow/runs/create', { experiment_id: '0' });
    runId = (run.body['run'] as { info: { run_id: string } }).info.run_id;
    runPrefix = `0/${runId}/artifacts`;
    const put = await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts/${runPrefix}/ok.txt`, {
      method: 'PUT',
      body: 'fine',
    });
    expect(put.status).toBe(200);
    // Sentinels just outside the artifact root and outside the run's directory.
    await writeFile(path.join(s.dir, 'secret.txt'), SENTINEL);
    await writeFile(path.join(s.artifactsDir, '0', 'secret.txt'), SENTINEL);
    before = await listTree(s.dir);
  });
  afterAll(async () => s.stop());

  const refused = (status: number, text: string, what: string) => {
    expect([400, 404], what).toContain(status);
    expect(text, what).not.toContain(SENTINEL);
    if (text) expect(JSON.parse(text), what).toHaveProperty('error_code');
  };

  it('refuses hostile paths in query parameters: artifacts/list, get-artifact, proxy list', async () => {
    for (const bad of HOSTILE) {
      const p = encodeURIComponent(bad);
      const urls = [
        ...['/api/2.0', '/ajax-api/2.0'].flatMap((prefix) => [
          `${prefix}/mlflow/artifacts/list?run_id=${runId}&path=${p}`,
          `${prefix}/mlflow-artifacts/artifacts?path=${p}`,
          ...(HOSTILE_BELOW.includes(bad)
            ? [`${prefix}/mlflow-artifacts/artifacts?path=${encodeURIComponent(`${runPrefix}/${bad}`)}`]
            : []),
        ]),
        `/get-artifact?run_uuid=${runId}&path=${p}`,
        `/get-artifact?run_id=${runId}&path=${p}`,
      ];
      for (const url of urls) {
        const res = await rawRequest(s.url, 'GET', url);
        // '.'-only and '//' paths are refused; a path that decodes to the root lists the root of the run at most.
        expect(res.status, `${bad} ${url}`).toBe(400);
        refused(res.status, res.text, `${bad} ${url}`);
      }
    }
  });

  it('refuses hostile paths in the proxy URL path: GET, PUT, DELETE write or read nothing outside', async () => {
    for (const bad of HOSTILE) {
      // As raw URL text (with the characters HTTP cannot carry raw percent-encoded), then encoded.
      const raw = bad.replace(/[\p{Cc} #?]/gu, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
      const forms = [
        raw,
        encodeURIComponent(bad),
        ...(HOSTILE_BELOW.includes(bad) ? [`${runPrefix}/${raw}`] : []),
      ];
      for (const form of forms) {
        if (/[^\u0021-\u007e]/.test(form)) continue; // not sendable as URL text
        for (const prefix of ['/api/2.0', '/ajax-api/2.0']) {
          const url = `${prefix}/mlflow-artifacts/artifacts/${form}`;
          for (const method of ['GET', 'PUT', 'DELETE']) {
            const res = await rawRequest(
              s.url,
              method,
              url,
              { 'content-type': 'application/octet-stream' },
              method === 'PUT' ? 'pwned' : undefined,
            );
            expect(res.status, `${method} ${url}`).not.toBe(200);
            expect(res.status, `${method} ${url}`).toBeLessThan(500);
            refused(res.status, res.text, `${method} ${url}`);
          }
        }
      }
    }
    expect(await listTree(s.dir)).toEqual(before);
  });

  it('refuses traversal-shaped registry sources and keeps download URIs inside', async () => {
    expect((await s.json('POST', '/api/2.0/mlflow/registered-models/create', { name: 'trav' })).status).toBe(
      200,
    );
    for (const bad of HOSTILE_BELOW) {
      for (const source of [
        `runs:/${runId}/${bad}`,
        // (`mlflow-artifacts://host/path` names a host: a leading '/' is not a traversal there)
        ...(bad.startsWith('/') ? [] : [`mlflow-artifacts:/${bad}`]),
        `models:/${bad}`,
        `${s.artifactsDir}/${bad}`,
        `file://${s.artifactsDir}/${bad}`,
      ]) {
        const res = await s.json('POST', '/api/2.0/mlflow/model-versions/create', { name: 'trav', source });
        if (res.status === 200) {
          // Only a path that stays inside may be accepted (`a/./b` is not among them).
          throw new Error(`accepted hostile source ${JSON.stringify(source)}`);
        }
        expect(res.status, source).toBe(400);
      }
    }
    const ok = await s.json('POST', '/api/2.0/mlflow/model-versions/create', {
      name: 'trav',
      source: `runs:/${runId}/ok.txt`,
    });
    expect(ok.status).toBe(200);
    const uri = await s.json('GET', '/api/2.0/mlflow/model-versions/get-download-uri?name=trav&version=1');
    expect(String(uri.body['artifact_uri'])).not.toMatch(/\.\.|^\/etc|^http/);
    expect(await listTree(s.dir)).toEqual(before);
  });

  it('still serves the honest file (the checks do not block normal use)', async () => {
    const res = await rawRequest(s.url, 'GET', `/get-artifact?run_uuid=${runId}&path=ok.txt`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('fine');
  });
});
