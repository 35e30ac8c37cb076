import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { safeArtifactPath } from '../core/safe-path.js';
import type { ArtifactStore } from './artifact-store.js';

/**
 * Copies everything under `prefix` in `store` into the local directory `dest` (created), streaming
 * each file. Paths come back through safeArtifactPath, so nothing lands outside `dest`. Returns
 * the number of files copied.
 */
export async function downloadTree(store: ArtifactStore, prefix: string, dest: string): Promise<number> {
  const base = safeArtifactPath(prefix);
  let files = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await store.list(dir)) {
      const rel = safeArtifactPath(entry.path);
      if (entry.is_dir) {
        await walk(rel);
        continue;
      }
      const local = path.join(dest, base === '' ? rel : rel.slice(base.length + 1));
      await mkdir(path.dirname(local), { recursive: true });
      await pipeline(await store.get(rel), createWriteStream(local));
      files++;
    }
  };
  await mkdir(dest, { recursive: true });
  await walk(base);
  return files;
}
