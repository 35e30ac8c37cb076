import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalidParam } from '../core/errors.js';
import { joinArtifactPath, safeArtifactPath } from '../core/safe-path.js';
import type { ArtifactStore, FileInfo } from './artifact-store.js';
import { LocalArtifactStore } from './local-artifact-store.js';
import { S3ArtifactStore, type S3Sender } from './s3-artifact-store.js';

export interface OpenArtifactStoreOptions {
  /** Environment for backends configured from it (S3 endpoint, credentials). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** An S3 client to use instead of one built from `env`. */
  s3Client?: S3Sender;
  /** Resolves relative local paths. Default `process.cwd()`. */
  cwd?: string;
}

type Opener = (uri: string, options: OpenArtifactStoreOptions) => ArtifactStore;

/**
 * Artifact backends by URI scheme. `http(s):` is deliberately absent: a server must never fetch a
 * URL a user stored. Remote clients reach a server's artifacts through HttpArtifactStore, as the
 * proxy root that `mlflow-artifacts:` URIs resolve under (see artifact-uri.ts).
 */
const BACKENDS: Readonly<Record<string, Opener>> = {
  'file:': (uri, options) => new LocalArtifactStore(localPathOf(uri, options)),
  's3:': (uri, options) =>
    options.s3Client
      ? new S3ArtifactStore(uri, options.s3Client)
      : S3ArtifactStore.fromUri(uri, options.env ?? process.env),
};

/** The schemes `openArtifactStore` knows, e.g. `['file:', 's3:']`. */
export function artifactSchemes(): string[] {
  return Object.keys(BACKENDS);
}

/**
 * The artifact store for a URI: a plain path or `file:` URI is a local directory (relative paths
 * resolve against `cwd`), `s3://bucket/prefix` is S3. Any other scheme is INVALID_PARAMETER_VALUE.
 */
export function openArtifactStore(uri: string, options: OpenArtifactStoreOptions = {}): ArtifactStore {
  const scheme = schemeOf(uri);
  if (scheme === undefined) return new LocalArtifactStore(path.resolve(options.cwd ?? process.cwd(), uri));
  const open = Object.hasOwn(BACKENDS, scheme) ? BACKENDS[scheme] : undefined;
  if (!open) {
    throw invalidParam(
      `Unsupported artifact URI scheme '${scheme}' in ${JSON.stringify(uri)}; known schemes: ${artifactSchemes().join(', ')} (or a plain path)`,
    );
  }
  return open(uri, options);
}

/**
 * A view of `store` rooted at `prefix` (e.g. a run's `<experiment>/<run>/artifacts`): paths given to
 * and returned by the view are relative to the prefix, and nothing outside it can be reached.
 */
export function scopedArtifactStore(store: ArtifactStore, prefix: string): ArtifactStore {
  const base = safeArtifactPath(prefix);
  if (base === '') return store;
  const strip = (info: FileInfo): FileInfo => ({ ...info, path: info.path.slice(base.length + 1) });
  return {
    uri: `${store.uri.replace(/\/+$/, '')}/${base.split('/').map(encodeURIComponent).join('/')}`,
    put: async (p, body) => store.put(joinArtifactPath(base, p), body),
    get: async (p) => store.get(joinArtifactPath(base, p)),
    list: async (p) => (await store.list(joinArtifactPath(base, p))).map(strip),
    delete: async (p) => store.delete(joinArtifactPath(base, p)),
  };
}

/** The lower-cased scheme with its colon, or `undefined` for a plain path (`C:\…` included). */
function schemeOf(uri: string): string | undefined {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri);
  if (!match || match[1]!.length === 1) return undefined;
  return `${match[1]!.toLowerCase()}:`;
}

function localPathOf(uri: string, options: OpenArtifactStoreOptions): string {
  const rest = uri.slice('file:'.length);
  try {
    // `file:relative/dir` and `file:/abs/dir` are accepted, as MLflow does.
    if (!rest.startsWith('//')) return path.resolve(options.cwd ?? process.cwd(), decodeURIComponent(rest));
    return fileURLToPath(`file:${rest}`);
  } catch (e) {
    throw invalidParam(`Not a local file URI: ${uri} (${(e as Error).message})`);
  }
}
