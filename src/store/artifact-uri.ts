import { invalidParam } from '../core/errors.js';
import { safeArtifactPath } from '../core/safe-path.js';
import {
  type OpenArtifactStoreOptions,
  openArtifactStore,
  scopedArtifactStore,
} from './artifact-backends.js';
import type { ArtifactStore } from './artifact-store.js';

export interface ArtifactUriOptions extends OpenArtifactStoreOptions {
  /**
   * What `mlflow-artifacts:/…` URIs point into: the server's artifact destination (embedded and
   * server side) or the server's artifact proxy (a remote client).
   */
  proxyRoot: ArtifactStore;
}

/**
 * The artifact store for a run's or experiment's artifact URI: `mlflow-artifacts:/<path>` resolves
 * under the proxy root (so runs logged embedded and served by `cairn server` see the same files),
 * other URIs open their own backend (`file:`, `s3:`).
 */
export function artifactStoreForUri(uri: string, options: ArtifactUriOptions): ArtifactStore {
  const proxied = /^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/.exec(uri);
  if (proxied) {
    const rel = proxied[1] ?? '';
    return scopedArtifactStore(options.proxyRoot, safeArtifactPath(rel));
  }
  if (uri.trim() === '') throw invalidParam('Empty artifact URI');
  return openArtifactStore(uri, options);
}
