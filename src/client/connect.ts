import { openBackends } from '../backends.js';
import { defaultArtifactRoot, defaultDatabaseUri } from '../core/config.js';
import { invalidParam } from '../core/errors.js';
import type { ArtifactStore } from '../store/artifact-store.js';
import { HttpArtifactStore } from '../store/http-artifact-store.js';
import { LocalArtifactStore } from '../store/local-artifact-store.js';
import { CairnClient } from './client.js';
import type { EnvironmentContext } from './environment.js';
import type { MetricBufferOptions } from './metric-buffer.js';

export interface ConnectOptions {
  /** Where the environment variables come from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /**
   * Embedded only: the artifact root (`mlflow-artifacts:` URIs resolve under it): a directory, a
   * `file:` or an `s3://` URI. Default `$CAIRN_HOME/artifacts`, where `cairn server` looks too.
   */
  artifactRoot?: string;
  /** Remote only: a bearer token (default `MLFLOW_TRACKING_TOKEN`). */
  token?: string;
  /** Remote only: basic auth (default `MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD`). */
  username?: string;
  password?: string;
  /** Remote only: extra headers on every request; they win over the ones above. */
  headers?: Record<string, string>;
  /** How metric points are buffered (batch size, interval, high-water mark). */
  metricBuffer?: MetricBufferOptions;
  /** Overrides for what environment capture looks at (cwd, argv, …). */
  environment?: Partial<EnvironmentContext>;
}

/**
 * A client for a tracking URI. No URI: `CAIRN_TRACKING_URI`, then `MLFLOW_TRACKING_URI`, then the
 * embedded default (`$CAIRN_HOME/cairn.db`). `sqlite:` or a path: embedded SQLite; `postgresql://`:
 * embedded with metadata in PostgreSQL; `http(s)://`: a remote Cairn or MLflow server (tracking over
 * REST, artifacts through its artifact proxy).
 */
export async function connect(uri?: string, options: ConnectOptions = {}): Promise<CairnClient> {
  const env = options.env ?? process.env;
  const target = uri || env['CAIRN_TRACKING_URI'] || env['MLFLOW_TRACKING_URI'] || defaultDatabaseUri(env);
  const common = {
    env,
    ...(options.metricBuffer ? { metricBuffer: options.metricBuffer } : {}),
    ...(options.environment ? { environment: options.environment } : {}),
  };
  if (/^https?:\/\//i.test(target)) {
    const { url, headers } = remoteAuth(target, options, env);
    const backends = await openBackends(url, { headers });
    return new CairnClient({
      ...common,
      uri: url,
      backends,
      artifactRoot: new HttpArtifactStore(url, { headers }),
    });
  }
  // Embedded SQLite writes metric batches in a writer thread, so flushing never runs a database
  // transaction on the training loop's thread.
  const backends = await openBackends(target, { writerThread: true });
  let artifactRoot: ArtifactStore;
  try {
    artifactRoot = await embeddedArtifactRoot(options.artifactRoot, env);
  } catch (e) {
    await backends.close();
    throw e;
  }
  return new CairnClient({ ...common, uri: target, backends, artifactRoot });
}

async function embeddedArtifactRoot(
  root: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<ArtifactStore> {
  if (root === undefined) return new LocalArtifactStore(defaultArtifactRoot(env));
  const { openArtifactStore } = await import('../store/artifact-backends.js');
  return openArtifactStore(root, { env });
}

/**
 * The server URL without credentials, and the headers that authenticate to it: explicit headers,
 * else a bearer token, else basic auth (options, then MLflow's environment variables, then the
 * URL's own `user:password@`).
 */
export function remoteAuth(
  uri: string,
  options: Pick<ConnectOptions, 'token' | 'username' | 'password' | 'headers'>,
  env: NodeJS.ProcessEnv,
): { url: string; headers: Record<string, string> } {
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    throw invalidParam(`Invalid tracking URI: ${uri}`);
  }
  const urlUser = decodeURIComponent(parsed.username);
  const urlPassword = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  const url = parsed.href.replace(/\/+$/, '');

  const headers: Record<string, string> = {};
  const token = options.token ?? env['MLFLOW_TRACKING_TOKEN'];
  const username = options.username ?? env['MLFLOW_TRACKING_USERNAME'] ?? (urlUser || undefined);
  const password = options.password ?? env['MLFLOW_TRACKING_PASSWORD'] ?? urlPassword;
  if (token) headers['authorization'] = `Bearer ${token}`;
  else if (username)
    headers['authorization'] = `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
  for (const [k, v] of Object.entries(options.headers ?? {})) headers[k.toLowerCase()] = v;
  return { url, headers };
}
