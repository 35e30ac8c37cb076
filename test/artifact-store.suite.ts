import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../src/core/errors.js';
import type { ArtifactStore } from '../src/store/artifact-store.js';

export interface ArtifactStoreFixture {
  store: ArtifactStore;
  /**
   * Everything the backend holds around the store, as sorted `path size` lines (and `dir/` lines
   * where the backend has directories): the whole temp directory, the whole bucket. The factory
   * puts something outside the store's root too, so a path that escaped would show up here.
   */
  snapshot(): Promise<string[]>;
  cleanup?(): Promise<void>;
}

/** Paths every adapter must refuse with INVALID_PARAMETER_VALUE before touching the backend. */
export const HOSTILE_PATHS = [
  '..',
  '../outside.txt',
  'a/../../b',
  'a/..',
  '%2e%2e/x',
  '%2E%2E%2Fx',
  '%252e%252e%252fx',
  '/etc/passwd',
  '//server/share',
  'C:\\x',
  'C:x',
  'a\\b',
  '..\\x',
  'a%00b',
  'a\u0000b',
  'a\nb',
  'a%0Db',
  'a\u007fb',
  'a#b',
  'a%23b',
  'a?b',
  'a//b',
  './a',
  'a/./b',
  '....//',
  '%',
  'a%zz',
  'x'.repeat(1025),
];

export function artifactStoreSuite(name: string, factory: () => Promise<ArtifactStoreFixture>): void {
  describe(name, () => {
    let fx: ArtifactStoreFixture;
    let store: ArtifactStore;
    beforeEach(async () => {
      fx = await factory();
      store = fx.store;
    });
    afterEach(async () => {
      await fx?.cleanup?.();
    });

    it('round-trips a 20 MB stream, both sides streamed', async () => {
      const size = 20 * 1024 * 1024 + 12_345;
      const source = patternStream(size, 7);
      await store.put('big/model.bin', source.stream);
      const read = await digestOf(await store.get('big/model.bin'));
      expect(read).toEqual({ bytes: size, sha256: source.sha256() });
      expect(await store.list('big')).toEqual([{ path: 'big/model.bin', is_dir: false, file_size: size }]);
    });

    it('keeps binary bytes exact, from a buffer and from a stream', async () => {
      const bytes = new Uint8Array(512).map((_, i) => (i * 7 + 3) % 256);
      await store.put('bin/a.bin', bytes);
      await store.put(
        'bin/b.bin',
        Readable.from([Buffer.from(bytes.subarray(0, 100)), Buffer.from(bytes.subarray(100))]),
      );
      await store.put('bin/empty', new Uint8Array(0));
      expect(await readAll(await store.get('bin/a.bin'))).toEqual(Buffer.from(bytes));
      expect(await readAll(await store.get('bin/b.bin'))).toEqual(Buffer.from(bytes));
      expect((await readAll(await store.get('bin/empty'))).length).toBe(0);
    });

    it('creates nested directories and lists each level', async () => {
      await store.put('a/b/c/d.txt', text('deep'));
      await store.put('a/x.txt', text('xx'));
      await store.put('top.txt', text('top'));
      expect(await store.list('')).toEqual([
        { path: 'a', is_dir: true },
        { path: 'top.txt', is_dir: false, file_size: 3 },
      ]);
      expect(await store.list('a')).toEqual([
        { path: 'a/b', is_dir: true },
        { path: 'a/x.txt', is_dir: false, file_size: 2 },
      ]);
      expect(await store.list('a/')).toEqual(await store.list('a'));
      expect(await store.list('a/b/c')).toEqual([{ path: 'a/b/c/d.txt', is_dir: false, file_size: 4 }]);
      expect(await readText(store, 'a/b/c/d.txt')).toBe('deep');
    });

    it('lists a missing directory, or a file, as empty', async () => {
      expect(await store.list('')).toEqual([]);
      expect(await store.list('nope/deeper')).toEqual([]);
      await store.put('f.txt', text('f'));
      expect(await store.list('f.txt')).toEqual([]);
    });

    it('sorts listings by path', async () => {
      for (const n of ['b.txt', 'a/1', 'c', 'B', 'aa']) await store.put(n, text(n));
      expect((await store.list('')).map((f) => f.path)).toEqual(['B', 'a', 'aa', 'b.txt', 'c']);
    });

    it('handles unicode names and spaces', async () => {
      const p = 'données/モデル v2/😀 file (1).txt';
      await store.put(p, text('ünï'));
      expect(await readText(store, p)).toBe('ünï');
      expect(await store.list('données')).toEqual([{ path: 'données/モデル v2', is_dir: true }]);
      expect(await store.list('données/モデル v2')).toEqual([{ path: p, is_dir: false, file_size: 5 }]);
      // Percent-encoded spellings reach the same file.
      expect(
        await readText(
          store,
          encodeURIComponent('données') + '/%E3%83%A2%E3%83%87%E3%83%AB%20v2/😀 file (1).txt',
        ),
      ).toBe('ünï');
    });

    it('overwrites a file', async () => {
      await store.put('o.txt', text('first version'));
      await store.put('o.txt', text('second'));
      expect(await readText(store, 'o.txt')).toBe('second');
      expect(await store.list('')).toEqual([{ path: 'o.txt', is_dir: false, file_size: 6 }]);
    });

    it('deletes a file, a directory, and what is absent', async () => {
      await store.put('d/x.txt', text('x'));
      await store.put('d/sub/y.txt', text('y'));
      await store.put('dd.txt', text('sibling sharing a prefix'));
      await store.put('keep.txt', text('k'));
      await store.delete('keep.txt');
      await expectCode(store.get('keep.txt'), 'RESOURCE_DOES_NOT_EXIST');
      await store.delete('d');
      expect(await store.list('d')).toEqual([]);
      await expectCode(store.get('d/sub/y.txt'), 'RESOURCE_DOES_NOT_EXIST');
      expect(await readText(store, 'dd.txt')).toBe('sibling sharing a prefix');
      await store.delete('missing/file.txt');
      await store.delete('d');
      expect(await store.list('')).toEqual([{ path: 'dd.txt', is_dir: false, file_size: 24 }]);
    });

    it('empties the root on delete("")', async () => {
      const files = async () => (await fx.snapshot()).filter((entry) => !entry.endsWith('/'));
      const before = await files();
      await store.put('r/1.txt', text('1'));
      await store.put('2.txt', text('2'));
      await store.delete('');
      expect(await store.list('')).toEqual([]);
      expect(await files()).toEqual(before);
    });

    it('reports a missing file or a directory on get as RESOURCE_DOES_NOT_EXIST', async () => {
      await expectCode(store.get('missing.txt'), 'RESOURCE_DOES_NOT_EXIST');
      await store.put('dir/f.txt', text('f'));
      await expectCode(store.get('dir'), 'RESOURCE_DOES_NOT_EXIST');
      await expectCode(store.get('dir/f.txt/more'), 'RESOURCE_DOES_NOT_EXIST');
      await expectCode(store.put('', text('root')), 'INVALID_PARAMETER_VALUE');
    });

    it('leaves nothing behind when an upload fails, and keeps the previous version', async () => {
      const before = await fx.snapshot();
      await expect(store.put('fail/new.bin', failingStream(10 * 1024 * 1024))).rejects.toThrow(
        /source broke/,
      );
      expect(await fx.snapshot()).toEqual(before);
      await expectCode(store.get('fail/new.bin'), 'RESOURCE_DOES_NOT_EXIST');

      await store.put('kept.txt', text('old'));
      await expect(store.put('kept.txt', failingStream(1024))).rejects.toThrow(/source broke/);
      expect(await readText(store, 'kept.txt')).toBe('old');
    });

    it('refuses hostile paths and writes nothing', async () => {
      await store.put('inside/keep.txt', text('keep'));
      const before = await fx.snapshot();
      for (const p of HOSTILE_PATHS) {
        await expectCode(store.put(p, text('evil')), 'INVALID_PARAMETER_VALUE', p);
        await expectCode(store.put(p, Readable.from([Buffer.from('evil')])), 'INVALID_PARAMETER_VALUE', p);
        await expectCode(store.get(p), 'INVALID_PARAMETER_VALUE', p);
        await expectCode(store.list(p), 'INVALID_PARAMETER_VALUE', p);
        await expectCode(store.delete(p), 'INVALID_PARAMETER_VALUE', p);
      }
      expect(await fx.snapshot()).toEqual(before);
    });
  });
}

export async function expectCode(promise: Promise<unknown>, code: ErrorCode, label = ''): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `${JSON.stringify(label)} should fail with ${code}`).toMatchObject({
    name: 'CairnError',
    code,
  });
}

export const text = (s: string): Uint8Array => Buffer.from(s, 'utf8');

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function readText(store: ArtifactStore, path: string): Promise<string> {
  return (await readAll(await store.get(path))).toString('utf8');
}

/** Hashes a stream chunk by chunk. */
export async function digestOf(stream: Readable): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** `size` pseudo-random bytes made on demand, 64 KiB at a time; `sha256()` once it has been read. */
export function patternStream(size: number, seed: number): { stream: Readable; sha256(): string } {
  const hash = createHash('sha256');
  let state = seed >>> 0 || 1;
  async function* chunks() {
    for (let left = size; left > 0; ) {
      const chunk = Buffer.allocUnsafe(Math.min(left, 64 * 1024));
      for (let i = 0; i < chunk.length; i++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        chunk[i] = state & 0xff;
      }
      hash.update(chunk);
      left -= chunk.length;
      yield chunk;
    }
  }
  return { stream: Readable.from(chunks()), sha256: () => hash.digest('hex') };
}

/** A stream that yields `bytes` bytes, then fails. */
export function failingStream(bytes: number): Readable {
  async function* chunks() {
    for (let left = bytes; left > 0; left -= 64 * 1024) yield Buffer.alloc(Math.min(left, 64 * 1024), 1);
    throw new Error('source broke');
  }
  return Readable.from(chunks());
}
