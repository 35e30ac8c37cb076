import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CairnClient } from './client.js';
import { connect } from './connect.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const CHILD = path.join(import.meta.dirname, 'test-fixtures', 'exit-child.ts');

interface Child {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node --import tsx <args>` in the repository; `onLine` sees each stdout line as it comes. */
function node(
  args: string[],
  env: NodeJS.ProcessEnv,
  onLine?: (line: string, kill: (s: NodeJS.Signals) => void) => void,
) {
  return new Promise<Child>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: REPO,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (onLine && stdout.endsWith('\n')) onLine(stdout.trim().split('\n').at(-1)!, (s) => child.kill(s));
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('cairn/client in a process of its own', () => {
  it('loads no native module on import, nor when connecting to a server', async () => {
    const script = `
      const calls = [];
      const dlopen = process.dlopen;
      process.dlopen = function (module, filename, ...rest) {
        calls.push(filename);
        return dlopen.call(this, module, filename, ...rest);
      };
      const { pathToFileURL } = await import('node:url');
      const sdk = await import(pathToFileURL(${JSON.stringify(path.join(REPO, 'src/client/index.ts'))}).href);
      const onImport = [...calls];
      const remote = await sdk.connect('http://127.0.0.1:9');
      await remote.close();
      const onRemote = [...calls];
      const embedded = await sdk.connect('sqlite:///:memory:');
      await embedded.close();
      console.log(JSON.stringify({ onImport, onRemote, onEmbedded: calls.map((f) => f.split('/').at(-1)) }));
    `;
    const out = await node(['--input-type=module', '-e', script], {});
    expect(out.stderr).toBe('');
    const seen = JSON.parse(out.stdout) as { onImport: string[]; onRemote: string[]; onEmbedded: string[] };
    expect(seen.onImport).toEqual([]);
    expect(seen.onRemote).toEqual([]);
    // The probe works: opening an embedded store does load better-sqlite3's addon.
    expect(seen.onEmbedded).toContain('better_sqlite3.node');
  });

  describe('runs left open', () => {
    let dir: string;
    let uri: string;
    let reader: CairnClient;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'cairn-client-exit-'));
      uri = `sqlite:///${path.join(dir, 'cairn.db')}`;
      reader = await connect(uri, { env: { CAIRN_HOME: dir } });
    });
    afterAll(async () => {
      await reader?.close();
      await rm(dir, { recursive: true, force: true });
    });

    const childEnv = () => ({ CAIRN_TRACKING_URI: uri, CAIRN_HOME: dir });

    it('are flushed and ended when the process exits on its own', async () => {
      const out = await node([CHILD, 'exit'], childEnv());
      expect(out.stderr).toBe('');
      expect(out.code).toBe(0);
      const runId = out.stdout.trim();
      const history = await reader.tracking.getMetricHistory(runId, 'loss', { maxResults: 25_000 });
      expect(history.items).toHaveLength(2500);
      expect((await reader.tracking.getRun(runId)).info.status).toBe('FINISHED');
    });

    it('are flushed and ended as KILLED on SIGTERM, exiting with 143', async () => {
      const out = await node([CHILD, 'wait'], childEnv(), (_line, kill) => kill('SIGTERM'));
      expect(out.stderr).toBe('');
      expect(out.code).toBe(143);
      const runId = out.stdout.trim();
      expect(
        (await reader.tracking.getMetricHistory(runId, 'loss', { maxResults: 25_000 })).items,
      ).toHaveLength(2500);
      const info = (await reader.tracking.getRun(runId)).info;
      expect(info.status).toBe('KILLED');
      expect(info.end_time).toBeGreaterThan(0);
    });
  });
});
