import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { type RunningServer, type ServerOptions, startServer } from '../../src/server/start.js';
import { tempDir } from './temp.js';

export interface TestServer extends RunningServer {
  dir: string;
  artifactsDir: string;
  /** POSTs (or GETs) JSON and returns status and parsed body. */
  json(
    method: string,
    pathAndQuery: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  stop(): Promise<void>;
}

/** A live `cairn server` on an ephemeral port over a temporary SQLite file and artifact dir. */
export async function startTestServer(
  backendStoreUri?: string,
  options: Pick<ServerOptions, 'allowedHosts' | 'corsAllowedOrigins'> = {},
): Promise<TestServer> {
  const tmp = await tempDir();
  const artifactsDir = path.join(tmp.dir, 'artifacts');
  const server = await startServer({
    port: 0,
    backendStoreUri: backendStoreUri ?? `sqlite:///${path.join(tmp.dir, 'cairn.db')}`,
    artifactsDestination: artifactsDir,
    ...options,
  });
  return {
    ...server,
    dir: tmp.dir,
    artifactsDir,
    async json(method, pathAndQuery, body) {
      const res = await fetch(server.url + pathAndQuery, {
        method,
        ...(body !== undefined
          ? {
              body: typeof body === 'string' ? body : JSON.stringify(body),
              headers: { 'content-type': 'application/json' },
            }
          : {}),
      });
      const text = await res.text();
      let parsed: Record<string, unknown> = {};
      try {
        parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        parsed = { text };
      }
      return { status: res.status, body: parsed };
    },
    async stop() {
      await server.close();
      await tmp.remove();
    },
  };
}

/** Every file under a directory, relative paths, sorted (to check nothing was written). */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else out.push(path.relative(dir, full));
    }
  };
  await walk(dir);
  return out.sort();
}
