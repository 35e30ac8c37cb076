import Fastify, { type FastifyInstance } from 'fastify';
import { enableServerAuth, type ServerAuth } from '../auth/server-auth.js';
import { lineageRoutes, registryRoutes } from '../registry/http.js';
import type { RegistryService } from '../registry/service.js';
import type { ArtifactStore } from '../store/artifact-store.js';
import { trackingRoutes } from '../tracking/http.js';
import { loggedModelRoutes } from '../tracking/logged-models-http.js';
import type { LoggedModelService } from '../tracking/logged-models-service.js';
import type { TrackingService } from '../tracking/service.js';
import { VERSION } from '../version.js';
import { artifactProxyRoutes, getArtifactRoute, runArtifactRoutes } from './artifact-proxy.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { type HardeningOptions, hardenedServerOptions, installHardening } from './hardening.js';

export interface AppDeps {
  tracking: TrackingService;
  /** MLflow 3 logged models (and runs/outputs). */
  loggedModels?: LoggedModelService;
  /** The model registry: MLflow's registered-models / model-versions routes and Cairn's lineage route. */
  registry?: RegistryService;
  /** The artifact destination served by the proxy (`--artifacts-destination`). */
  artifacts: ArtifactStore;
  /** Users and permissions: when set, every route needs credentials and a rule (src/auth). */
  auth?: ServerAuth;
}

export interface AppOptions {
  logger?: boolean;
  /** Largest JSON body accepted, in bytes (log-batch has MLflow's own 1 MB limit). */
  bodyLimit?: number;
  /** Allowed hosts, CORS, JSON limits (see hardening.ts); defaults suit a loopback-bound server. */
  hardening?: HardeningOptions;
}

/** The `cairn server` app: every domain's routes under MLflow's prefixes, one error edge. */
export async function buildApp(deps: AppDeps, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ? { level: 'info' } : false,
    bodyLimit: options.bodyLimit ?? 16 * 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 },
    ...hardenedServerOptions(errorHandler),
  });
  installHardening(app, options.hardening);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  // Auth first: it guards each route as it is registered, and refuses routes it has no rule for.
  if (deps.auth) await enableServerAuth(app, deps.auth);

  app.get('/health', async (_req, reply) => reply.type('text/plain').send('OK'));
  app.get('/version', async (_req, reply) => reply.type('text/plain').send(VERSION));

  const proxy = { tracking: deps.tracking, proxyRoot: deps.artifacts };
  for (const prefix of ['/api/2.0', '/ajax-api/2.0']) {
    await app.register(trackingRoutes(deps.tracking), { prefix: `${prefix}/mlflow` });
    if (deps.loggedModels)
      await app.register(loggedModelRoutes(deps.loggedModels), { prefix: `${prefix}/mlflow` });
    if (deps.registry) {
      await app.register(registryRoutes(deps.registry), { prefix: `${prefix}/mlflow` });
      await app.register(lineageRoutes(deps.registry), { prefix: `${prefix}/cairn` });
    }
    await app.register(runArtifactRoutes(proxy), { prefix: `${prefix}/mlflow` });
    await app.register(artifactProxyRoutes(proxy), { prefix: `${prefix}/mlflow-artifacts` });
  }
  await app.register(getArtifactRoute(proxy));
  return app;
}
