import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import {
  CreateBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactSchemes, openArtifactStore, scopedArtifactStore } from '../src/store/artifact-backends.js';
import { LocalArtifactStore } from '../src/store/local-artifact-store.js';
import { S3ArtifactStore, s3ClientConfigFromEnv } from '../src/store/s3-artifact-store.js';
import { artifactStoreSuite, expectCode, failingStream, readText, text } from './artifact-store.suite.js';
import { type MotoServer, startMoto } from './helpers/moto.js';

async function tempBase(): Promise<string> {
  const base = await mkdtemp(path.join(tmpdir(), 'cairn-artifacts-'));
  await mkdir(path.join(base, 'outside'));
  await writeFile(path.join(base, 'outside', 'secret.txt'), 'secret');
  return base;
}

/** Every file and directory under `dir`, with sizes for files. */
async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) out.push(`${child}/`, ...(await walk(dir, child)));
    else out.push(`${child} ${(await lstat(path.join(dir, child))).size}`);
  }
  return out.sort();
}

artifactStoreSuite('LocalArtifactStore', async () => {
  const base = await tempBase();
  return {
    store: new LocalArtifactStore(path.join(base, 'root')),
    snapshot: () => walk(base),
    cleanup: () => rm(base, { recursive: true, force: true }),
  };
});

artifactStoreSuite('scopedArtifactStore over LocalArtifactStore', async () => {
  const base = await tempBase();
  const root = new LocalArtifactStore(path.join(base, 'root'));
  await root.put('1/other-run/artifacts/model.bin', text('another run'));
  return {
    store: scopedArtifactStore(root, '1/run-a/artifacts'),
    snapshot: () => walk(base),
    cleanup: () => rm(base, { recursive: true, force: true }),
  };
});

describe('LocalArtifactStore on the file system', () => {
  let base: string;
  let rootDir: string;
  let store: LocalArtifactStore;
  beforeAll(async () => {
    base = await tempBase();
    rootDir = path.join(base, 'root');
    store = new LocalArtifactStore(rootDir);
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it('creates its root lazily and names it with a file: URI', async () => {
    expect(store.uri).toBe(pathToFileURL(rootDir).href);
    expect(await store.list('')).toEqual([]);
    await expectCode(store.get('x'), 'RESOURCE_DOES_NOT_EXIST');
    await store.delete('x');
    await expect(lstat(rootDir)).rejects.toThrow();
    await store.put('x', text('x'));
    expect((await lstat(rootDir)).isDirectory()).toBe(true);
    expect(() => new LocalArtifactStore('relative/dir')).toThrow(/absolute/);
  });

  it('leaves no temporary file after a failed upload', async () => {
    await store.put('tmp/ok.txt', text('ok'));
    await expect(store.put('tmp/bad.txt', failingStream(300_000))).rejects.toThrow(/source broke/);
    expect(await readdir(path.join(rootDir, 'tmp'))).toEqual(['ok.txt']);
  });

  it('never follows a symbolic link out of the root, for reading or writing', async () => {
    const outside = path.join(base, 'outside');
    await mkdir(rootDir, { recursive: true });
    await symlink(outside, path.join(rootDir, 'dir-link'));
    await symlink(path.join(outside, 'secret.txt'), path.join(rootDir, 'file-link'));
    await symlink(path.join(outside, 'not-yet.txt'), path.join(rootDir, 'dangling'));

    for (const p of ['dir-link/secret.txt', 'file-link', 'dangling']) {
      await expectCode(store.get(p), 'INVALID_PARAMETER_VALUE', p);
      await expectCode(store.put(p, text('evil')), 'INVALID_PARAMETER_VALUE', p);
    }
    await expectCode(store.put('dir-link/new.txt', text('evil')), 'INVALID_PARAMETER_VALUE');
    await expectCode(store.list('dir-link'), 'INVALID_PARAMETER_VALUE');
    await expectCode(store.delete('dir-link/secret.txt'), 'INVALID_PARAMETER_VALUE');
    expect((await store.list('')).map((f) => f.path)).not.toContain('dir-link');
    expect(await readdir(outside)).toEqual(['secret.txt']);
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret');

    // Deleting a link removes the link, not what it points to.
    await store.delete('dir-link');
    await store.delete('file-link');
    await expect(lstat(path.join(rootDir, 'dir-link'))).rejects.toThrow();
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('follows a symbolic link that stays inside the root', async () => {
    await store.put('real/f.txt', text('inside'));
    await symlink(path.join(rootDir, 'real'), path.join(rootDir, 'alias'));
    expect(await readText(store, 'alias/f.txt')).toBe('inside');
    expect(await store.list('alias')).toEqual([{ path: 'alias/f.txt', is_dir: false, file_size: 6 }]);
  });
});

describe('S3ArtifactStore against moto', () => {
  let moto: MotoServer;
  let client: S3Client;
  let buckets = 0;
  beforeAll(async () => {
    moto = await startMoto();
    client = new S3Client({
      endpoint: moto.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  }, 60_000);
  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
  });

  async function freshBucket(): Promise<string> {
    const bucket = `cairn-test-${++buckets}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'secret.txt', Body: 'secret' }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'mlruns/secret.txt', Body: 'secret' }));
    return bucket;
  }

  async function keys(bucket: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const o of page.Contents ?? []) out.push(`${o.Key} ${o.Size}`);
      token = page.NextContinuationToken;
    } while (token);
    return out.sort();
  }

  artifactStoreSuite('S3ArtifactStore', async () => {
    const bucket = await freshBucket();
    return { store: new S3ArtifactStore(`s3://${bucket}/mlruns/1`, client), snapshot: () => keys(bucket) };
  });

  it('aborts the multipart upload when the body fails', async () => {
    const bucket = await freshBucket();
    const store = new S3ArtifactStore(`s3://${bucket}/p`, client);
    await expect(store.put('big.bin', failingStream(20 * 1024 * 1024))).rejects.toThrow(/source broke/);
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(uploads.Uploads ?? []).toEqual([]);
  });

  it('pages through listings and deletes more than 1000 objects', async () => {
    const bucket = await freshBucket();
    const store = new S3ArtifactStore(`s3://${bucket}/many`, client);
    const names = Array.from({ length: 1105 }, (_, i) => `d/f${String(i).padStart(4, '0')}`);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map((n) => store.put(n, text('x'))));
    }
    const listed = await store.list('d');
    expect(listed.length).toBe(1105);
    expect(listed[1104]).toEqual({ path: 'd/f1104', is_dir: false, file_size: 1 });
    await store.delete('d');
    expect(await keys(bucket)).toEqual(['mlruns/secret.txt 6', 'secret.txt 6']);
  });

  it('streams a put part by part, holding at most about two parts', async () => {
    const MiB = 1024 * 1024;
    let produced = 0;
    const calls: string[] = [];
    const source = Readable.from(
      (async function* () {
        for (let i = 0; i < 20 * 16; i++) {
          produced += 64 * 1024;
          yield Buffer.alloc(64 * 1024, i);
        }
      })(),
    );
    const fake = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        const name = command.constructor.name.replace(/Command$/, '');
        if (name === 'UploadPart') {
          const body = command.input['Body'] as Uint8Array;
          calls.push(`${name} ${command.input['PartNumber']} ${body.byteLength / MiB}`);
          // Parts go up as the source is read, not after reading it all (slack: the stream's read-ahead).
          expect(produced).toBeLessThanOrEqual((Number(command.input['PartNumber']) + 1) * 8 * MiB + 2 * MiB);
        } else calls.push(name);
        return name === 'CreateMultipartUpload' ? { UploadId: 'u1' } : { ETag: '"e"' };
      },
    } as unknown as S3Client;
    await new S3ArtifactStore('s3://bkt/p', fake).put('m.bin', source);
    expect(calls).toEqual([
      'CreateMultipartUpload',
      'UploadPart 1 8',
      'UploadPart 2 8',
      'UploadPart 3 4',
      'CompleteMultipartUpload',
    ]);

    calls.length = 0;
    await new S3ArtifactStore('s3://bkt/p', fake).put('small.txt', Readable.from([Buffer.from('hi')]));
    expect(calls).toEqual(['PutObject']);
  });

  it('parses its URI and is configured from the environment as MLflow is', () => {
    const store = new S3ArtifactStore('s3://bucket/a/b/', client);
    expect([store.uri, store.bucket, store.prefix]).toEqual(['s3://bucket/a/b', 'bucket', 'a/b']);
    expect(new S3ArtifactStore('s3://bucket', client).uri).toBe('s3://bucket');
    for (const bad of ['s3://', 's3:///x', 'http://bucket/x', 's3://bucket/../x', 's3://b?x']) {
      expect(() => new S3ArtifactStore(bad, client), bad).toThrow(/INVALID|S3|artifact path/i);
    }
    const config = s3ClientConfigFromEnv({
      MLFLOW_S3_ENDPOINT_URL: 'http://minio:9000',
      AWS_ACCESS_KEY_ID: 'id',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_DEFAULT_REGION: 'eu-west-1',
    });
    expect(config).toMatchObject({
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
      region: 'eu-west-1',
    });
    expect(config.credentials).toMatchObject({ accessKeyId: 'id', secretAccessKey: 'secret' });
    expect(s3ClientConfigFromEnv({})).toEqual({ region: 'us-east-1' });
  });

  it('works when built from the URI and the environment', async () => {
    const bucket = await freshBucket();
    const store = openArtifactStore(`s3://${bucket}/env`, {
      env: {
        MLFLOW_S3_ENDPOINT_URL: moto.endpoint,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
      },
    });
    expect(store).toBeInstanceOf(S3ArtifactStore);
    await store.put('hello.txt', text('hi'));
    expect(await readText(store, 'hello.txt')).toBe('hi');
  });
});

describe('openArtifactStore', () => {
  it('picks the adapter by scheme', () => {
    const local = openArtifactStore('/tmp/cairn-x');
    expect(local).toBeInstanceOf(LocalArtifactStore);
    expect(local.uri).toBe('file:///tmp/cairn-x');
    expect((openArtifactStore('file:///tmp/a%20b') as LocalArtifactStore).root).toBe('/tmp/a b');
    expect((openArtifactStore('rel/dir', { cwd: '/srv' }) as LocalArtifactStore).root).toBe('/srv/rel/dir');
    expect((openArtifactStore('file:./mlruns', { cwd: '/srv' }) as LocalArtifactStore).root).toBe(
      '/srv/mlruns',
    );
    const s3 = openArtifactStore('S3://bucket/x', { s3Client: new S3Client({ region: 'us-east-1' }) });
    expect(s3).toBeInstanceOf(S3ArtifactStore);
    expect(artifactSchemes()).toEqual(expect.arrayContaining(['file:', 's3:']));
  });

  it('refuses an unknown scheme, listing the known ones', () => {
    for (const uri of ['gs://bucket/x', 'ftp://host/x', 'toString:x', 'constructor:x', 'hasOwnProperty:x']) {
      expect(() => openArtifactStore(uri), uri).toThrow(/known schemes: file:, s3:/); // more may follow
    }
    expect(() => openArtifactStore('file://remote-host/x')).toThrow(/Not a local file URI/);
  });

  it('scopes a store to a prefix', async () => {
    const base = await mkdtemp(path.join(tmpdir(), 'cairn-scope-'));
    try {
      const root = new LocalArtifactStore(base);
      const run = scopedArtifactStore(root, '0/abc/artifacts');
      expect(run.uri).toBe(`${pathToFileURL(base).href}/0/abc/artifacts`);
      await run.put('model/MLmodel', text('flavors: {}'));
      expect(await run.list('model')).toEqual([{ path: 'model/MLmodel', is_dir: false, file_size: 11 }]);
      expect(await root.list('0/abc/artifacts')).toEqual([{ path: '0/abc/artifacts/model', is_dir: true }]);
      await expectCode(run.get('../../other/x'), 'INVALID_PARAMETER_VALUE');
      expect(scopedArtifactStore(scopedArtifactStore(root, '0'), 'abc/artifacts').uri).toBe(run.uri);
      expect(() => scopedArtifactStore(root, '../x')).toThrow(/'\.\.' segment/);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});
