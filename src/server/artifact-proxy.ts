import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { CairnError } from '../core/errors.js';
import { safeArtifactPath } from '../core/safe-path.js';
import { locateUnderRoots } from '../store/artifact-roots.js';
import type { ArtifactStore } from '../store/artifact-store.js';
import { artifactStoreForUri } from '../store/artifact-uri.js';
import type { TrackingService } from '../tracking/service.js';
import { parseRequest } from './request.js';

export interface ArtifactRouteDeps {
  tracking: TrackingService;
  /** The artifact destination that `mlflow-artifacts:/…` URIs and the proxy routes point into. */
  proxyRoot: ArtifactStore;
  /** The largest upload accepted, in bytes, by Content-Length up front and by count while streaming. */
  maxUploadBytes?: number;
}

/**
 * MLflow's artifact proxy (`/mlflow-artifacts/artifacts/<path>`: upload, download, list, delete).
 * Bodies stream straight to the store; every path goes through safeArtifactPath.
 */
/** The default upload limit: 2 GiB less a byte (Fastify's largest body limit). */
export const MAX_ARTIFACT_UPLOAD_BYTES = 2 ** 31 - 1;

export function artifactProxyRoutes({
  proxyRoot,
  maxUploadBytes = MAX_ARTIFACT_UPLOAD_BYTES,
}: ArtifactRouteDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    // Uploads are files of any type: take the raw stream, whatever the Content-Type says.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

    app.get('/artifacts', async (req) => {
      const q = parseRequest(z.object({ path: z.string().optional() }), req.query);
      const dir = safeArtifactPath(q.path ?? '');
      const files = await proxyRoot.list(dir);
      const out = files.map((f) => ({ ...f, path: path.posix.basename(f.path) }));
      return out.length > 0 ? { files: out } : {};
    });

    app.get<{ Params: { '*': string } }>('/artifacts/*', async (req, reply) => {
      const rel = safeArtifactPath(req.params['*']);
      return sendFile(reply, rel, await proxyRoot.get(rel));
    });

    app.put<{ Params: { '*': string } }>('/artifacts/*', { bodyLimit: maxUploadBytes }, async (req) => {
      const rel = safeArtifactPath(req.params['*']);
      const body = req.body as (Readable & { complete?: boolean }) | undefined;
      await proxyRoot.put(rel, body ? detachedBody(body, maxUploadBytes) : new Uint8Array());
      return {};
    });

    app.delete<{ Params: { '*': string } }>('/artifacts/*', async (req) => {
      await proxyRoot.delete(safeArtifactPath(req.params['*']));
      return {};
    });
  };
}

/** `GET /mlflow/artifacts/list?run_id&path`: a run's artifacts, paths relative to its root. */
export function runArtifactRoutes({ tracking, proxyRoot }: ArtifactRouteDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    app.get('/artifacts/list', async (req) => {
      const q = parseRequest(
        z.object({
          run_id: z.string().optional(),
          run_uuid: z.string().optional(),
          path: z.string().optional(),
        }),
        req.query,
      );
      const run = await tracking.getRun(q.run_id || q.run_uuid || '');
      const dir = safeArtifactPath(q.path ?? '');
      const files = await runArtifactStore(run.info.artifact_uri, proxyRoot).list(dir);
      return { root_uri: run.info.artifact_uri, ...(files.length > 0 ? { files } : {}) };
    });
  };
}

/** `GET /get-artifact?path&run_uuid`: one file of a run, as the MLflow UI fetches it. */
export function getArtifactRoute({ tracking, proxyRoot }: ArtifactRouteDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    app.get('/get-artifact', async (req, reply) => {
      const q = parseRequest(
        z.object({ path: z.string(), run_uuid: z.string().optional(), run_id: z.string().optional() }),
        req.query,
      );
      const run = await tracking.getRun(q.run_uuid || q.run_id || '');
      const rel = safeArtifactPath(q.path);
      return sendFile(reply, rel, await runArtifactStore(run.info.artifact_uri, proxyRoot).get(rel));
    });
  };
}

/**
 * The store behind a run's artifact URI, only if it lies under the server's own artifact
 * destination (or is `mlflow-artifacts:`): a run whose URI points elsewhere (`file:///etc`, another
 * bucket, written by an embedded client to the same database) is not served.
 */
function runArtifactStore(uri: string, proxyRoot: ArtifactStore): ArtifactStore {
  if (locateUnderRoots(uri, [proxyRoot.uri]) === undefined) {
    throw new CairnError(
      'PERMISSION_DENIED',
      "This run's artifacts are outside the server's artifact root; the server does not serve them.",
    );
  }
  return artifactStoreForUri(uri, { proxyRoot });
}

/**
 * The upload as a stream of its own: a client that aborts mid-upload fails it (so the store
 * discards the partial file), while a store that gives up destroys only this copy, not the
 * request, so the client still gets the error response rather than a dropped connection. An
 * upload past `maxBytes` fails the same way, with REQUEST_PAYLOAD_TOO_LARGE.
 */
function detachedBody(req: Readable & { complete?: boolean }, maxBytes: number): Readable {
  // Counted as it streams: a chunked upload has no Content-Length to check up front.
  let seen = 0;
  const body = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > maxBytes) {
        drainRest(req);
        callback(new CairnError('REQUEST_PAYLOAD_TOO_LARGE', `Upload is larger than ${maxBytes} bytes.`));
      } else callback(null, chunk);
    },
  });
  // The store reports the failure through its own pipeline; once it has stopped reading, nothing
  // else listens, and a late abort must not become an uncaught error.
  body.on('error', () => {});
  req.pipe(body);
  const abort = () => {
    if (!req.complete) body.destroy(new Error('The upload was aborted by the client'));
  };
  req.once('close', abort);
  req.once('error', abort);
  return body;
}

/** Most bytes read and dropped after a refused upload, so the client can still read the 413. */
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

/**
 * Keeps reading (and dropping) an upload refused mid-stream: closing a socket with unread bytes
 * resets it, and the client would lose the 413 already sent. Past DRAIN_LIMIT_BYTES it is cut off.
 */
function drainRest(req: Readable): void {
  let dropped = 0;
  req.unpipe();
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DRAIN_LIMIT_BYTES) req.destroy();
  });
  req.resume();
}

const TEXT_TYPES: Record<string, string> = {
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.yaml': 'text/plain; charset=utf-8',
  '.yml': 'text/plain; charset=utf-8',
  '.csv': 'text/plain; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
};

/** Files are always downloads (attachment, nosniff): a stored HTML file must never run in a page. */
function sendFile(reply: FastifyReply, rel: string, body: Readable): FastifyReply {
  const name = path.posix.basename(rel);
  return reply
    .header('Content-Type', TEXT_TYPES[path.posix.extname(name).toLowerCase()] ?? 'application/octet-stream')
    .header('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(name)}`)
    .header('X-Content-Type-Options', 'nosniff')
    .send(body);
}
