import { randomUUID } from 'node:crypto';
import { constants, type Dirent } from 'node:fs';
import {
  type FileHandle,
  lstat,
  mkdir,
  open,
  readdir,
  realpath,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
} from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { CairnError, invalidParam, notFound } from '../core/errors.js';
import { joinArtifactPath, safeArtifactPath } from '../core/safe-path.js';
import type { ArtifactStore, FileInfo } from './artifact-store.js';

/** Uploads in progress are written under this name in the target directory, then renamed. */
const TEMP_PREFIX = '.cairn-upload-';
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * Artifacts in a local directory. The root is created on the first write. Every path is checked
 * with `safeArtifactPath`, then resolved through symbolic links: anything that resolves outside the
 * root is refused. Writes go to a temporary file beside the target and are renamed into place, so a
 * failed upload leaves nothing behind and readers never see half a file.
 */
export class LocalArtifactStore implements ArtifactStore {
  readonly uri: string;
  readonly root: string;

  constructor(rootDir: string) {
    if (!path.isAbsolute(rootDir)) throw invalidParam(`Artifact root must be an absolute path: ${rootDir}`);
    this.root = path.resolve(rootDir);
    this.uri = pathToFileURL(this.root).href;
  }

  async put(artifactPath: string, body: Readable | Uint8Array): Promise<void> {
    let written = false;
    let createdRoot: string | undefined;
    let createdDirs: string | undefined;
    let dir: string | undefined;
    let temp: string | undefined;
    let rel = '';
    try {
      rel = safeArtifactPath(artifactPath);
      if (rel === '') throw invalidParam('Artifact path must name a file, not the root');
      createdRoot = await mkdir(this.root, { recursive: true });
      const target = (await this.resolve(rel)) ?? path.join(this.root, rel);
      dir = path.dirname(target);
      createdDirs = await mkdir(dir, { recursive: true });
      if ((await statOrUndefined(target))?.isDirectory())
        throw invalidParam(`Artifact '${rel}' is a directory`);

      temp = path.join(dir, `${TEMP_PREFIX}${randomUUID()}`);
      const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW);
      try {
        if (body instanceof Uint8Array) await handle.writeFile(body);
        else {
          await pipeline(body, async (source: AsyncIterable<Uint8Array | string>) => {
            for await (const chunk of source) await writeAll(handle, chunk);
          });
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
      written = true;
    } catch (e) {
      throw fsError(e, rel);
    } finally {
      if (!written) {
        // Leave nothing behind: the partial file, and the directories this upload created.
        if (temp !== undefined) await unlink(temp).catch(() => {});
        if (dir !== undefined && createdDirs !== undefined) await removeEmptyDirs(dir, createdDirs);
        if (createdRoot !== undefined) await removeEmptyDirs(this.root, createdRoot);
        if (body instanceof Readable) body.destroy();
      }
    }
  }

  async get(artifactPath: string): Promise<Readable> {
    const rel = safeArtifactPath(artifactPath);
    const target = await this.resolve(rel);
    if (target === undefined || rel === '') throw notFound(`No artifact at '${rel}'`);
    try {
      const handle = await open(target, constants.O_RDONLY | O_NOFOLLOW);
      try {
        if ((await handle.stat()).isDirectory())
          throw notFound(`Artifact '${rel}' is a directory, not a file`);
      } catch (e) {
        await handle.close();
        throw e;
      }
      return handle.createReadStream();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') throw notFound(`No artifact at '${rel}'`);
      throw fsError(e, rel);
    }
  }

  async list(artifactPath: string): Promise<FileInfo[]> {
    const rel = safeArtifactPath(artifactPath);
    const dir = await this.resolve(rel);
    if (dir === undefined) return [];
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw fsError(e, rel);
    }
    const infos: FileInfo[] = [];
    for (const entry of entries) {
      // Skip uploads in progress, and names that no artifact path could reach.
      if (entry.name.startsWith(TEMP_PREFIX) || !isSafeName(entry.name)) continue;
      const childRel = joinArtifactPath(rel, entry.name);
      let real = path.join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        const resolved = await this.resolve(childRel).catch(() => undefined);
        if (resolved === undefined) continue; // dangling, or pointing outside the root
        real = resolved;
      }
      const st = await statOrUndefined(real);
      if (st === undefined) continue;
      infos.push(
        st.isDirectory()
          ? { path: childRel, is_dir: true }
          : { path: childRel, is_dir: false, file_size: st.size },
      );
    }
    return infos.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async delete(artifactPath: string): Promise<void> {
    const rel = safeArtifactPath(artifactPath);
    if (rel === '') {
      // Empty the root but keep it: it may be a mount point or a symbolic link the operator made.
      const root = await this.resolve('');
      const names = root === undefined ? [] : await readdir(root).catch(() => []);
      for (const name of names) await rm(path.join(root!, name), { recursive: true, force: true });
      return;
    }
    // Resolve only the parent: a symbolic link is removed itself, never followed.
    const parent = await this.resolve(path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel));
    if (parent === undefined) return;
    try {
      await rm(path.join(parent, path.posix.basename(rel)), { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw fsError(e, rel);
    }
  }

  /**
   * The real location of a checked relative path: existing components are resolved through symbolic
   * links (each must stay inside the root), the missing rest is appended. `undefined` if the root
   * does not exist.
   */
  private async resolve(rel: string): Promise<string | undefined> {
    let realRoot: string;
    try {
      realRoot = await realpath(this.root);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw fsError(e, rel);
    }
    const segments = rel === '' ? [] : rel.split('/');
    let current = realRoot;
    for (let i = 0; i < segments.length; i++) {
      const next = path.join(current, segments[i]!);
      let st: Awaited<ReturnType<typeof lstat>>;
      try {
        st = await lstat(next);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return path.join(next, ...segments.slice(i + 1));
        throw fsError(e, rel);
      }
      if (st.isSymbolicLink()) {
        const target = await realpath(next).catch(() => undefined);
        if (target === undefined || !isInside(realRoot, target)) {
          throw invalidParam(`Invalid artifact path '${rel}': resolves outside the artifact root`);
        }
        current = target;
      } else {
        current = next;
      }
    }
    return current;
  }
}

async function writeAll(handle: FileHandle, chunk: Uint8Array | string): Promise<void> {
  let bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  while (bytes.byteLength > 0) {
    const { bytesWritten } = await handle.write(bytes);
    bytes = bytes.subarray(bytesWritten);
  }
}

/** Removes the directories a failed upload created, deepest first, while they are empty. */
async function removeEmptyDirs(deepest: string, topmost: string): Promise<void> {
  for (let dir = deepest; isInside(topmost, dir); dir = path.dirname(dir)) {
    try {
      await rmdir(dir);
    } catch {
      return; // not empty: someone else wrote there meanwhile
    }
    if (dir === topmost) return;
  }
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

function isSafeName(name: string): boolean {
  try {
    return safeArtifactPath(name) === name && !name.includes('/');
  } catch {
    return false;
  }
}

async function statOrUndefined(p: string) {
  try {
    return await stat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** File-system errors as CairnErrors; anything unexpected passes through. */
function fsError(e: unknown, rel: string): unknown {
  if (e instanceof CairnError) return e;
  switch ((e as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return new CairnError('RESOURCE_DOES_NOT_EXIST', `No artifact at '${rel}'`, { cause: e });
    case 'ENOTDIR':
    case 'EEXIST':
    case 'EISDIR':
      return new CairnError(
        'INVALID_PARAMETER_VALUE',
        `Artifact path '${rel}' conflicts with an existing file or directory`,
        {
          cause: e,
        },
      );
    case 'ELOOP':
      return new CairnError('INVALID_PARAMETER_VALUE', `Invalid artifact path '${rel}': a symbolic link`, {
        cause: e,
      });
    case 'ENAMETOOLONG':
      return new CairnError('INVALID_PARAMETER_VALUE', `Artifact path '${rel}' is too long`, { cause: e });
    case 'EACCES':
    case 'EPERM':
      return new CairnError('PERMISSION_DENIED', `Permission denied for artifact '${rel}'`, { cause: e });
    default:
      return e;
  }
}
