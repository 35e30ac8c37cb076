import type { Readable } from 'node:stream';

/** One entry of an artifact listing, as MLflow's `FileInfo`. Paths are relative to the listed root. */
export interface FileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

/**
 * The artifact port: files under one root (a local directory, an S3 prefix, or a server's artifact
 * proxy). Every `path` is relative to that root, uses `/`, and is checked with `safeArtifactPath`
 * before use: nothing is ever read or written outside the root. Bodies are streams.
 */
export interface ArtifactStore {
  /** The root as a URI (`file:///…`, `s3://bucket/prefix`, `http://…/api/2.0/mlflow-artifacts/artifacts`). */
  readonly uri: string;
  /** Writes (or replaces) one file; `body` is consumed as a stream. */
  put(path: string, body: Readable | Uint8Array): Promise<void>;
  /** Opens one file; RESOURCE_DOES_NOT_EXIST if there is none. */
  get(path: string): Promise<Readable>;
  /** The direct children of a directory ('' = the root); an empty list if it does not exist. */
  list(path: string): Promise<FileInfo[]>;
  /** Deletes a file or a whole directory; deleting what is absent is not an error. */
  delete(path: string): Promise<void>;
}
