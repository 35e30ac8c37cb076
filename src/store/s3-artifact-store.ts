import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { CairnError, invalidParam } from '../core/errors.js';
import { joinArtifactPath, safeArtifactPath } from '../core/safe-path.js';
import type { ArtifactStore, FileInfo } from './artifact-store.js';

/** The one method of `S3Client` this adapter calls, so tests and users can pass their own client. */
export type S3Sender = Pick<S3Client, 'send'>;

export interface S3ArtifactStoreOptions {
  /**
   * Bodies longer than this go up as a multipart upload in parts of this size; shorter ones as one
   * PutObject. Default 8 MiB; S3 needs at least 5 MiB. At most one part is held in memory.
   */
  partSize?: number;
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;

/**
 * Artifacts under `s3://bucket/prefix`. Keys are `prefix/path`; "directories" are key prefixes
 * ending in `/`. Works with any S3-compatible server (set the client's endpoint and path style).
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly uri: string;
  readonly bucket: string;
  /** The key prefix, without a trailing `/`; `''` for the whole bucket. */
  readonly prefix: string;
  private readonly partSize: number;

  constructor(
    uri: string,
    private readonly client: S3Sender,
    options: S3ArtifactStoreOptions = {},
  ) {
    const { bucket, prefix } = parseS3Uri(uri);
    this.bucket = bucket;
    this.prefix = prefix;
    this.uri = prefix === '' ? `s3://${bucket}` : `s3://${bucket}/${prefix}`;
    this.partSize = options.partSize ?? DEFAULT_PART_SIZE;
    if (!Number.isInteger(this.partSize) || this.partSize < MIN_PART_SIZE) {
      throw invalidParam(`S3 part size must be an integer of at least ${MIN_PART_SIZE} bytes`);
    }
  }

  /**
   * A store for `uri` with a client configured from the environment, as MLflow does:
   * `MLFLOW_S3_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`) selects an S3-compatible
   * server and path-style addressing; `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
   * `AWS_SESSION_TOKEN`, `AWS_REGION`/`AWS_DEFAULT_REGION` as usual (otherwise the SDK's default
   * credential chain).
   */
  static fromUri(
    uri: string,
    env: NodeJS.ProcessEnv = process.env,
    options?: S3ArtifactStoreOptions,
  ): S3ArtifactStore {
    return new S3ArtifactStore(uri, new S3Client(s3ClientConfigFromEnv(env)), options);
  }

  async put(path: string, body: Readable | Uint8Array): Promise<void> {
    const parts = splitParts(chunksOf(body), this.partSize)[Symbol.asyncIterator]();
    try {
      const key = this.key(path, 'file');
      const first = await parts.next();
      const second = first.done ? first : await parts.next();
      if (second.done) {
        const data = first.done ? new Uint8Array(0) : first.value;
        await this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: data, ContentLength: data.byteLength }),
        );
        return;
      }
      await this.multipart(key, first.value, second.value, parts);
    } finally {
      await parts.return(undefined);
      if (body instanceof Readable && !body.readableEnded) body.destroy();
    }
  }

  async get(path: string): Promise<Readable> {
    const rel = safeArtifactPath(path);
    const key = this.key(rel, 'file');
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return toReadable(out.Body);
    } catch (e) {
      if (isNotFound(e))
        throw new CairnError('RESOURCE_DOES_NOT_EXIST', `No artifact at '${rel}'`, { cause: e });
      throw e;
    }
  }

  async list(path: string): Promise<FileInfo[]> {
    const rel = safeArtifactPath(path);
    const dirKey = this.key(rel, 'dir');
    const infos: FileInfo[] = [];
    for await (const page of this.pages(dirKey, '/')) {
      for (const object of page.Contents ?? []) {
        const name = object.Key?.slice(dirKey.length);
        if (!name || !isSafeName(name)) continue; // "directory marker" objects, unreachable names
        infos.push({ path: joinArtifactPath(rel, name), is_dir: false, file_size: object.Size ?? 0 });
      }
      for (const common of page.CommonPrefixes ?? []) {
        const name = common.Prefix?.slice(dirKey.length, -1);
        if (!name || !isSafeName(name)) continue;
        infos.push({ path: joinArtifactPath(rel, name), is_dir: true });
      }
    }
    return infos.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async delete(path: string): Promise<void> {
    const rel = safeArtifactPath(path);
    if (rel !== '')
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(rel, 'file') }));
    for await (const page of this.pages(this.key(rel, 'dir'))) {
      const objects = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{ Key: o.Key }]));
      // A page holds at most 1000 keys, the most one DeleteObjects takes.
      for (let i = 0; i < objects.length; i += 1000) {
        const out = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: objects.slice(i, i + 1000), Quiet: true },
          }),
        );
        const failed = out.Errors?.[0];
        if (failed) {
          throw new CairnError(
            'INTERNAL_ERROR',
            `Could not delete artifact '${failed.Key ?? '?'}': ${failed.Code ?? ''} ${failed.Message ?? ''}`.trim(),
          );
        }
      }
    }
  }

  /** The object key for a path (`'file'`), or the key prefix listing its children (`'dir'`). */
  private key(path: string, kind: 'file' | 'dir'): string {
    const rel = safeArtifactPath(path);
    if (kind === 'file' && rel === '') throw invalidParam('Artifact path must name a file, not the root');
    const key = this.prefix === '' ? rel : rel === '' ? this.prefix : `${this.prefix}/${rel}`;
    return kind === 'dir' && key !== '' ? `${key}/` : key;
  }

  private async *pages(prefix: string, delimiter?: string): AsyncGenerator<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          Delimiter: delimiter,
          ContinuationToken: token,
        }),
      );
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private async multipart(
    key: string,
    first: Uint8Array,
    second: Uint8Array,
    rest: AsyncIterator<Uint8Array>,
  ): Promise<void> {
    const created = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key }),
    );
    const uploadId = created.UploadId;
    if (!uploadId) throw new CairnError('INTERNAL_ERROR', 'S3 did not return a multipart upload id');
    try {
      const done: CompletedPart[] = [];
      const upload = async (data: Uint8Array) => {
        const PartNumber = done.length + 1;
        if (PartNumber > MAX_PARTS) throw invalidParam(`Artifact is larger than ${MAX_PARTS} parts`);
        const out = await this.client.send(
          new UploadPartCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber,
            Body: data,
            ContentLength: data.byteLength,
          }),
        );
        done.push({
          PartNumber,
          ETag: out.ETag,
          ChecksumCRC32: out.ChecksumCRC32,
          ChecksumCRC32C: out.ChecksumCRC32C,
          ChecksumCRC64NVME: out.ChecksumCRC64NVME,
          ChecksumSHA1: out.ChecksumSHA1,
          ChecksumSHA256: out.ChecksumSHA256,
        });
      };
      await upload(first);
      await upload(second);
      for (let next = await rest.next(); !next.done; next = await rest.next()) await upload(next.value);
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: done },
        }),
      );
    } catch (e) {
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }))
        .catch(() => {});
      throw e;
    }
  }
}

/** `s3://bucket/prefix` → bucket and checked prefix (no trailing `/`). */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/?#]+)(?:\/(.*))?$/i.exec(uri);
  const bucket = match?.[1];
  if (!bucket || !/^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/.test(bucket)) {
    throw invalidParam(`Not an S3 URI (expected s3://bucket/prefix): ${uri}`);
  }
  return { bucket, prefix: safeArtifactPath(match?.[2] ?? '') };
}

/** An `S3ClientConfig` from MLflow's environment variables. */
export function s3ClientConfigFromEnv(env: NodeJS.ProcessEnv = process.env): S3ClientConfig {
  const endpoint = env['MLFLOW_S3_ENDPOINT_URL'] || env['AWS_ENDPOINT_URL_S3'] || env['AWS_ENDPOINT_URL'];
  const config: S3ClientConfig = {
    region: env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || 'us-east-1',
  };
  if (endpoint) {
    config.endpoint = endpoint;
    config.forcePathStyle = true;
  }
  const accessKeyId = env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'];
  if (accessKeyId && secretAccessKey) {
    config.credentials = {
      accessKeyId,
      secretAccessKey,
      sessionToken: env['AWS_SESSION_TOKEN'] || undefined,
    };
  }
  return config;
}

/** The SDK returns a Node stream in Node; a client of the caller's own may return a web stream. */
function toReadable(body: unknown): Readable {
  if (body instanceof Readable) return body;
  if (body === undefined || body === null) return Readable.from([]);
  const web = body as { transformToWebStream?: () => unknown; getReader?: unknown };
  const stream = typeof web.transformToWebStream === 'function' ? web.transformToWebStream() : body;
  if (typeof (stream as { getReader?: unknown }).getReader === 'function') {
    return Readable.fromWeb(stream as WebReadableStream);
  }
  throw new CairnError('INTERNAL_ERROR', 'S3 returned an object body that is not a stream');
}

function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === 'NoSuchKey' || err?.name === 'NotFound' || err?.$metadata?.httpStatusCode === 404;
}

function isSafeName(name: string): boolean {
  try {
    return !name.includes('/') && safeArtifactPath(name) === name;
  } catch {
    return false;
  }
}

async function* chunksOf(body: Readable | Uint8Array): AsyncGenerator<Uint8Array> {
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  for await (const chunk of body as AsyncIterable<unknown>) {
    if (typeof chunk === 'string') yield Buffer.from(chunk);
    else if (chunk instanceof Uint8Array) yield chunk;
    else throw invalidParam('Artifact body stream must yield bytes');
  }
}

/** Regroups chunks into parts of exactly `size` bytes, the last one shorter (none for no bytes). */
async function* splitParts(chunks: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  for await (const chunk of chunks) {
    let rest = chunk;
    while (pendingBytes + rest.byteLength >= size) {
      const take = size - pendingBytes;
      pending.push(rest.subarray(0, take));
      yield Buffer.concat(pending, size);
      pending = [];
      pendingBytes = 0;
      rest = rest.subarray(take);
    }
    if (rest.byteLength > 0) {
      pending.push(rest);
      pendingBytes += rest.byteLength;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}
