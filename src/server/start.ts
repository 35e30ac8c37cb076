import type { FastifyInstance } from 'fastify';
import { isLoopbackHost, openServerAuth, unauthenticatedBindWarning } from '../auth/server-auth.js';
import type { Permission } from '../auth/types.js';
import { openBackends } from '../backends.js';
import { defaultArtifactRoot, defaultDatabaseUri } from '../core/config.js';
import { openArtifactStore } from '../store/artifact-backends.js';
import { buildApp } from './app.js';
import { hardeningForBind } from './hardening.js';

export interface ServerOptions {
  host?: string;
  port?: number;
  /** `sqlite:///…` (default `$CAIRN_HOME/cairn.db`) or `postgresql://…`. */
  backendStoreUri?: string;
  /** A directory, `file:` or `s3://` URI (default `$CAIRN_HOME/artifacts`). */
  artifactsDestination?: string;
  logger?: boolean;
  /**
   * `Host` header patterns accepted (`--allowed-hosts`). Default: localhost, 127.0.0.1 and [::1]
   * when bound to a loopback address; any host otherwise.
   */
  allowedHosts?: string[];
  /** Origins allowed cross-origin access (`--cors-allowed-origins`); default none. */
  corsAllowedOrigins?: string[];
  /** Require credentials and check permissions (src/auth). Off by default: then bind loopback only. */
  auth?: boolean;
  /** With auth: what users hold on resources they were granted nothing on. Default NO_PERMISSIONS. */
  authDefaultPermission?: Permission;
  /** Where CAIRN_ADMIN_USERNAME / CAIRN_ADMIN_PASSWORD are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where warnings go (default stderr). */
  warn?: (message: string) => void;
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  /** Stops accepting, lets in-flight requests finish, closes the stores. */
  close(): Promise<void>;
}

/** Opens the stores, builds the app and listens: what `cairn server` runs. */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const artifactsDestination = options.artifactsDestination ?? defaultArtifactRoot();
  const artifacts = openArtifactStore(artifactsDestination);
  const backends = await openBackends(options.backendStoreUri ?? defaultDatabaseUri(), {
    writerThread: true,
    allowedSourceRoots: [artifacts.uri],
    allowedArtifactRoots: [artifacts.uri],
  });
  const host = options.host ?? '127.0.0.1';
  const warn = options.warn ?? ((m: string) => process.stderr.write(m));
  const auth = options.auth
    ? await openServerAuth(backends.metadataDb, {
        allowedSourceRoots: [artifacts.uri],
        ...(options.authDefaultPermission ? { defaultPermission: options.authDefaultPermission } : {}),
        ...(options.env ? { env: options.env } : {}),
      }).catch(async (e: unknown) => {
        await backends.close();
        throw e;
      })
    : undefined;
  if (!auth && !isLoopbackHost(host)) warn(unauthenticatedBindWarning(host));
  if (auth && !auth.hasAdmin)
    warn(
      'cairn server: no admin user yet; set CAIRN_ADMIN_USERNAME and CAIRN_ADMIN_PASSWORD, or run `cairn users create-admin`.\n',
    );
  const app = await buildApp(
    {
      tracking: backends.tracking,
      loggedModels: backends.loggedModels,
      registry: backends.registry,
      artifacts,
      ...(auth ? { auth } : {}),
    },
    { logger: options.logger ?? false, hardening: hardeningForBind(options.host ?? '127.0.0.1', options) },
  );
  app.addHook('onClose', async () => backends.close());
  await app.listen({ host, port: options.port ?? 5000 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const close = async () => {
    // Connections that finish their request after close() began would otherwise idle until their
    // keep-alive timeout; close each one as soon as it goes idle.
    const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
    try {
      await app.close();
    } finally {
      clearInterval(sweep);
    }
  };
  return { app, url, close };
}
