import path from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { CairnError, type ErrorCode, invalidParam, notFound } from '../core/errors.js';
import { safeArtifactPath } from '../core/safe-path.js';
import { wireError } from '../tracking/wire.js';
import type { ArtifactStore, FileInfo } from './artifact-store.js';

type RequestBody = NonNullable<RequestInit['body']>;

/** Where a Cairn (or MLflow) server serves its artifact proxy. */
export const ARTIFACT_PROXY_PATH = '/api/2.0/mlflow-artifacts/artifacts';

export interface HttpArtifactStoreOptions {
  /** Extra headers on every request (e.g. Authorization). */
  headers?: Record<string, string>;
}

/**
 * Artifacts behind a server's artifact proxy (`PUT|GET|DELETE <server>/api/2.0/mlflow-artifacts/
 * artifacts/<path>`, `GET …/artifacts?path=<dir>`): what `mlflow-artifacts:` URIs point into for a
 * remote client. Paths are checked here with safeArtifactPath before any request, and again by the
 * server. Uploads and downloads stream; nothing is buffered whole.
 */
export class HttpArtifactStore implements ArtifactStore {
  readonly uri: string;
  private readonly headers: Record<string, string>;

  /** `serverUrl` is the server's root (`http://host:5000`), not the proxy path. */
  constructor(serverUrl: string, options: HttpArtifactStoreOptions = {}) {
    this.uri = `${serverUrl.replace(/\/+$/, '')}${ARTIFACT_PROXY_PATH}`;
    this.headers = options.headers ?? {};
  }

  async put(artifactPath: string, body: Readable | Uint8Array): Promise<void> {
    let sourceError: unknown;
    try {
      const rel = safeArtifactPath(artifactPath);
      if (rel === '') throw invalidParam('Artifact path must name a file, not the root');
      let payload: Uint8Array | WebReadableStream;
      if (body instanceof Uint8Array) {
        payload = body;
      } else {
        body.once('error', (e) => {
          sourceError = e;
        });
        payload = Readable.toWeb(body);
      }
      const res = await this.request('PUT', this.fileUrl(rel), {
        body: payload as RequestBody,
        duplex: 'half',
        headers: { 'content-type': 'application/octet-stream' },
      });
      await res.body?.cancel();
    } catch (e) {
      if (body instanceof Readable) body.destroy();
      // fetch reports a broken source as its own TypeError: surface what really broke.
      throw sourceError ?? e;
    }
  }

  async get(artifactPath: string): Promise<Readable> {
    const rel = safeArtifactPath(artifactPath);
    if (rel === '') throw notFound(`No artifact at '${rel}'`);
    const res = await this.request('GET', this.fileUrl(rel));
    if (!res.body) return Readable.from([]);
    return Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  }

  async list(artifactPath: string): Promise<FileInfo[]> {
    const rel = safeArtifactPath(artifactPath);
    const query = rel === '' ? '' : `?${new URLSearchParams({ path: rel })}`;
    const res = await this.request('GET', this.uri + query, { headers: { accept: 'application/json' } });
    const json = (await res.json()) as { files?: unknown };
    const files = Array.isArray(json.files) ? json.files : [];
    const infos: FileInfo[] = [];
    for (const raw of files as Array<Record<string, unknown>>) {
      // The proxy answers with base names; ours are relative to the store's root, as every adapter's.
      const name = String(raw['path'] ?? '');
      const base = path.posix.basename(name);
      if (base === '' || safeArtifactPath(base) !== base) continue;
      const child = rel === '' ? base : `${rel}/${base}`;
      const size = Number(raw['file_size']);
      infos.push(
        raw['is_dir'] === true
          ? { path: child, is_dir: true }
          : { path: child, is_dir: false, ...(Number.isFinite(size) ? { file_size: size } : {}) },
      );
    }
    return infos.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async delete(artifactPath: string): Promise<void> {
    const rel = safeArtifactPath(artifactPath);
    if (rel === '') {
      // The proxy has no route for its own root: empty it child by child.
      for (const child of await this.list('')) await this.delete(child.path);
      return;
    }
    const res = await this.request('DELETE', this.fileUrl(rel));
    await res.body?.cancel();
  }

  private fileUrl(rel: string): string {
    return `${this.uri}/${rel.split('/').map(encodeURIComponent).join('/')}`;
  }

  /** One request; a non-2xx answer becomes the CairnError the server described. */
  private async request(
    method: 'GET' | 'PUT' | 'DELETE',
    url: string,
    init: { body?: RequestBody; duplex?: 'half'; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(url, {
        ...init,
        method,
        headers: { ...this.headers, ...init.headers },
      } as RequestInit);
    } catch (e) {
      throw new CairnError(
        'TEMPORARILY_UNAVAILABLE',
        `Could not reach the artifact proxy at ${this.uri}: ${messageOf(e)}`,
        {
          cause: e,
        },
      );
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => '');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (body && typeof body === 'object' && 'error_code' in body) throw wireError(res.status, body);
    throw new CairnError(
      codeForStatus(res.status),
      `The artifact proxy answered ${method} with HTTP ${res.status}`,
    );
  }
}

function messageOf(e: unknown): string {
  const cause = (e as { cause?: { message?: string } }).cause?.message;
  return cause ? `${(e as Error).message} (${cause})` : String((e as Error).message ?? e);
}

/** For answers without MLflow's error body (a proxy in front of the server, say). */
function codeForStatus(status: number): ErrorCode {
  if (status === 400) return 'BAD_REQUEST';
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'PERMISSION_DENIED';
  if (status === 404) return 'RESOURCE_DOES_NOT_EXIST';
  if (status === 413) return 'REQUEST_PAYLOAD_TOO_LARGE';
  if (status === 429) return 'REQUEST_LIMIT_EXCEEDED';
  if (status === 503) return 'TEMPORARILY_UNAVAILABLE';
  return 'INTERNAL_ERROR';
}
