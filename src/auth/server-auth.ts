import type { FastifyInstance } from 'fastify';
import { invalidParam } from '../core/errors.js';
import type { MetadataDb } from '../store/db.js';
import { AccessControl } from './access.js';
import { authAdminRoutes, authTokenRoutes } from './http.js';
import { installAuth } from './install.js';
import { decoyHash } from './password.js';
import { SERVER_PREFIXES, serverRules } from './server-rules.js';
import { AuthService } from './service.js';
import { SqlPermissionStore } from './sql-permission-store.js';
import { SqlUserStore } from './sql-user-store.js';
import type { Permission } from './types.js';

/** What `cairn server --auth` runs with. */
export interface ServerAuth {
  auth: AuthService;
  access: AccessControl;
  /** The roots a model version source may point into (for the READ check on the source). */
  allowedSourceRoots?: readonly string[];
}

export interface OpenServerAuthOptions {
  /** What users hold on experiments and models they were not granted anything on. Default NO_PERMISSIONS. */
  defaultPermission?: Permission;
  allowedSourceRoots?: readonly string[];
  /** Where CAIRN_ADMIN_USERNAME / CAIRN_ADMIN_PASSWORD are read. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** The auth service over a metadata database, without the server (what the CLI commands use). */
export function openAuthService(handle: MetadataDb): AuthService {
  return new AuthService(new SqlUserStore(handle), new SqlPermissionStore(handle));
}

/**
 * Users and permissions over the server's metadata database. The first admin comes from
 * CAIRN_ADMIN_USERNAME + CAIRN_ADMIN_PASSWORD, created only when no admin exists yet.
 */
export async function openServerAuth(
  handle: MetadataDb | undefined,
  options: OpenServerAuthOptions = {},
): Promise<ServerAuth & { hasAdmin: boolean }> {
  if (!handle)
    throw invalidParam(
      'Authentication needs a sqlite: or postgresql: backend store (users live in the metadata database).',
    );
  const auth = openAuthService(handle);
  // The decoy hash that unknown usernames are checked against, made now so the first such request costs no more than the others.
  await decoyHash();
  const env = options.env ?? process.env;
  const username = env['CAIRN_ADMIN_USERNAME'];
  const password = env['CAIRN_ADMIN_PASSWORD'];
  if ((username && !password) || (!username && password))
    throw invalidParam('Set both CAIRN_ADMIN_USERNAME and CAIRN_ADMIN_PASSWORD, or neither.');
  if (username && password) await auth.ensureFirstAdmin(username, password);
  return {
    auth,
    access: new AccessControl(auth.permissions, options.defaultPermission ?? 'NO_PERMISSIONS'),
    ...(options.allowedSourceRoots ? { allowedSourceRoots: options.allowedSourceRoots } : {}),
    hasAdmin: (await auth.users.countAdmins()) > 0,
  };
}

/**
 * Turns auth on for the `cairn server` app: call before any route is registered. Installs the
 * fail-closed guard with the server's rule table and mounts the user, permission and token routes.
 */
export async function enableServerAuth(app: FastifyInstance, server: ServerAuth): Promise<void> {
  installAuth(app, {
    auth: server.auth,
    access: server.access,
    rules: serverRules({ allowedSourceRoots: server.allowedSourceRoots ?? [] }),
    prefixes: SERVER_PREFIXES,
  });
  for (const prefix of SERVER_PREFIXES) {
    await app.register(authAdminRoutes(server.auth), { prefix: `${prefix}/mlflow` });
    await app.register(authTokenRoutes(server.auth), { prefix: `${prefix}/cairn` });
  }
}

/** Loopback addresses: the only binds where running without auth is quiet. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(?:\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

export function unauthenticatedBindWarning(host: string): string {
  const line = '!'.repeat(78);
  return [
    line,
    `!! WARNING: cairn server is listening on ${host} WITHOUT authentication.`,
    '!! Anyone who can reach this address can read, change and delete every experiment,',
    '!! run, model and artifact. Start it with --auth (and CAIRN_ADMIN_USERNAME /',
    '!! CAIRN_ADMIN_PASSWORD for the first admin), or bind 127.0.0.1.',
    line,
    '',
  ].join('\n');
}
