import type { FastifyInstance } from 'fastify';
import { defaultArtifactRoot, defaultDatabaseUri } from '../core/config.js';
import { openArtifactStore } from '../store/artifact-backends.js';
import { openTrackingStore } from '../tracking/backends.js';
import { TrackingService } from '../tracking/service.js';
import { buildApp } from './app.js';

export interface ServerOptions {
  host?: string;
  port?: number;
  /** `sqlite:///…` (default `$CAIRN_HOME/cairn.db`) or `postgresql://…`. */
  backendStoreUri?: string;
  /** A directory, `file:` or `s3://` URI (default `$CAIRN_HOME/artifacts`). */
  artifactsDestination?: string;
  logger?: boolean;
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  /** Stops accepting, lets in-flight requests finish, closes the stores. */
  close(): Promise<void>;
}

/** Opens the stores, builds the app and listens: what `cairn server` runs. */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const store = await openTrackingStore(options.backendStoreUri ?? defaultDatabaseUri(), {
    writerThread: true,
  });
  const artifacts = openArtifactStore(options.artifactsDestination ?? defaultArtifactRoot());
  const app = await buildApp(
    { tracking: new TrackingService(store), artifacts },
    { logger: options.logger ?? false },
  );
  app.addHook('onClose', async () => store.close());
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
