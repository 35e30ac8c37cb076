import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { CairnError, type ErrorCode, invalidParam, notFound } from '../core/errors.js';
import { guardedFetch } from '../core/guarded-fetch.js';
import { joinArtifactPath, safeArtifactPath } from '../core/safe-path.js';
import type { ArtifactStore, FileInfo } from './artifact-store.js';
import { wireError } from './rest-client.js';

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
  /** The proxy's root URL. */
  private readonly base: string;
  /** Where this store's root is under the proxy's root ('' = the proxy's root). */
  private readonly prefix: string;
  /** `host:port` of the proxy: the one host requests (and redirects) may go to. */
  private readonly host: string;

  /**
   * `url` is the server's root (`http://host:5000`), or a directory under its proxy
   * (`http://host:5000/api/2.0/mlflow-artifacts/artifacts/1/<run>/artifacts`): the store's root.
   */
  constructor(url: string, options: HttpArtifactStoreOptions = {}) {
    const trimmed = url.replace(/\/+$/, '');
    const at = trimmed.indexOf(ARTIFACT_PROXY_PATH);
    const rest = at < 0 ? undefined : trimmed.slice(at + ARTIFACT_PROXY_PATH.length);
    if (rest === undefined || (rest !== '' && !rest.startsWith('/'))) {
      this.base = `${trimmed}${ARTIFACT_PROXY_PATH}`;
      this.prefix = '';
    } else {
      this.base = trimmed.slice(0, at + ARTIFACT_PROXY_PATH.length);
      this.prefix = safeArtifactPath(rest.slice(1));
    }
    this.uri = this.prefix === '' ? this.base : `${this.base}/${encodePath(this.prefix)}`;
    this.headers = options.headers ?? {};
    const proxy = new URL(this.base);
    this.host = `${proxy.hostname}:${proxy.port || (proxy.protocol === 'https:' ? '443' : '80')}`;
  }

  /**
   * Streams one file up with node:http (fetch, on a broken source, leaves the server a half-open
   * connection it waits on). A broken source breaks the request and is the error thrown.
   */
  async put(artifactPath: string, body: Readable | Uint8Array): Promise<void> {
    try {
      const rel = safeArtifactPath(artifactPath);
      if (rel === '') throw invalidParam('Artifact path must name a file, not the root');
      await this.upload(new URL(this.fileUrl(rel)), body);
    } catch (e) {
      if (body instanceof Readable) body.destroy();
      throw e;
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
    const dir = joinArtifactPath(this.prefix, rel);
    const query = dir === '' ? '' : `?${new URLSearchParams({ path: dir })}`;
    const res = await this.request('GET', this.base + query, { headers: { accept: 'application/json' } });
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
    if (rel === '' && this.prefix === '') {
      // The proxy has no route for its own root: empty it child by child.
      for (const child of await this.list('')) await this.delete(child.path);
      return;
    }
    const res = await this.request('DELETE', this.fileUrl(rel));
    await res.body?.cancel();
  }

  private async upload(url: URL, body: Readable | Uint8Array): Promise<void> {
    const headers: Record<string, string | number> = {
      ...this.headers,
      'content-type': 'application/octet-stream',
    };
    if (body instanceof Uint8Array) headers['content-length'] = body.byteLength;
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'PUT', headers });
    let answered = false;
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      req.once('response', (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('error', reject);
        res.once('end', () => {
          const status = res.statusCode ?? 0;
          // Answered before the body was all sent (an error): stop sending.
          if (status >= 300) req.destroy();
          resolve({ status, text: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.once('error', (e) => {
        if (!answered) reject(this.unreachable(e));
      });
    });
    answer.catch(() => {});
    if (body instanceof Uint8Array) req.end(body);
    else {
      try {
        await pipeline(body, req);
      } catch (e) {
        // The server's answer, if it came, says more than the broken pipe it left.
        if (!answered) {
          req.destroy();
          throw e;
        }
      }
    }
    const { status, text } = await answer;
    if (status < 200 || status >= 300) throw errorFrom('PUT', status, text);
  }

  private fileUrl(rel: string): string {
    return `${this.base}/${encodePath(joinArtifactPath(this.prefix, rel))}`;
  }

  /** One request; a non-2xx answer becomes the CairnError the server described. */
  private async request(
    method: 'GET' | 'DELETE',
    url: string,
    init: { headers?: Record<string, string> } = {},
  ): Promise<Response> {
    let res: Response;
    try {
      // Redirects are followed only within the proxy's own host: a redirect elsewhere is refused.
      res = await guardedFetch(
        url,
        { method, headers: { ...this.headers, ...init.headers } },
        { allowedHosts: [this.host], internalHosts: [this.host] },
      );
    } catch (e) {
      if (e instanceof CairnError && e.code === 'PERMISSION_DENIED') throw e;
      throw this.unreachable(e);
    }
    if (res.ok) return res;
    throw errorFrom(method, res.status, await res.text().catch(() => ''));
  }

  private unreachable(e: unknown): CairnError {
    return new CairnError(
      'TEMPORARILY_UNAVAILABLE',
      `Could not reach the artifact proxy at ${this.uri}: ${messageOf(e)}`,
      {
        cause: e,
      },
    );
  }
}

/** Each segment percent-encoded, so names with spaces, `+`, `%` or unicode reach the server intact. */
function encodePath(rel: string): string {
  return rel.split('/').map(encodeURIComponent).join('/');
}

/** The server's `{error_code, message}` as a CairnError, or a code for the bare status. */
function errorFrom(method: string, status: number, text: string): CairnError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (body && typeof body === 'object' && 'error_code' in body) return wireError(status, body);
  return new CairnError(codeForStatus(status), `The artifact proxy answered ${method} with HTTP ${status}`);
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
