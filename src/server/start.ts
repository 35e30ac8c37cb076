import type { FastifyInstance } from 'fastify';
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
  const app = await buildApp(
    {
      tracking: backends.tracking,
      loggedModels: backends.loggedModels,
      registry: backends.registry,
      artifacts,
    },
    { logger: options.logger ?? false, hardening: hardeningForBind(options.host ?? '127.0.0.1', options) },
  );
  app.addHook('onClose', async () => backends.close());
  const host = options.host ?? '127.0.0.1';
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
