import path from 'node:path';
import type { Permission } from '../../src/auth/types.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { createTempPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp.js';

export const ADMIN = { username: 'root-admin', password: 'admin-password-1' };

export type Backend = 'sqlite' | 'postgresql';
export const BACKENDS: Backend[] = ['sqlite', 'postgresql'];

export interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** Who sends a request: a user (Basic username:password), raw headers, or nobody. */
export type As = { username: string; password: string } | { headers: Record<string, string> } | undefined;

export interface AuthTestServer {
  url: string;
  artifactsDir: string;
  /** The metadata store the server runs on (where its users and grants live). */
  storeUri: string;
  server: RunningServer;
  call(as: As, method: string, pathAndQuery: string, body?: unknown): Promise<Reply>;
  /** Creates a user through the admin API and returns its credentials. */
  user(username: string): Promise<{ username: string; password: string }>;
  stop(): Promise<void>;
}

export function basic(username: string, secret: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${username}:${secret}`).toString('base64')}` };
}

/** A live `cairn server --auth` over a fresh SQLite file or PostgreSQL database, with the first admin from env. */
export async function startAuthServer(
  backend: Backend,
  options: { defaultPermission?: Permission } = {},
): Promise<AuthTestServer> {
  const tmp = await tempDir();
  const pg = backend === 'postgresql' ? await createTempPostgres() : undefined;
  const artifactsDir = path.join(tmp.dir, 'artifacts');
  const storeUri = pg ? pg.uri : `sqlite:///${path.join(tmp.dir, 'cairn.db')}`;
  const server = await startServer({
    port: 0,
    backendStoreUri: storeUri,
    artifactsDestination: artifactsDir,
    auth: true,
    ...(options.defaultPermission ? { authDefaultPermission: options.defaultPermission } : {}),
    env: { CAIRN_ADMIN_USERNAME: ADMIN.username, CAIRN_ADMIN_PASSWORD: ADMIN.password },
    warn: () => {},
  });
  const call: AuthTestServer['call'] = async (as, method, pathAndQuery, body) => {
    const headers: Record<string, string> =
      as === undefined ? {} : 'headers' in as ? { ...as.headers } : basic(as.username, as.password);
    let payload: string | Buffer | undefined;
    if (Buffer.isBuffer(body)) payload = body;
    else if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(server.url + pathAndQuery, {
      method,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
    });
    const text = await res.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { text };
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return {
    url: server.url,
    artifactsDir,
    storeUri,
    server,
    call,
    async user(username) {
      const creds = { username, password: `${username}-password` };
      const r = await call(ADMIN, 'POST', '/api/2.0/mlflow/users/create', creds);
      if (r.status !== 200)
        throw new Error(`users/create ${username}: ${r.status} ${JSON.stringify(r.body)}`);
      return creds;
    },
    async stop() {
      await server.close();
      await pg?.drop();
      await tmp.remove();
    },
  };
}
