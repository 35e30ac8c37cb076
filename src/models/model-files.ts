import { realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { CairnError } from '../core/errors.js';
import { safeArtifactPath } from '../core/safe-path.js';

/**
 * The real path of a file a model's MLmodel names (`data: model.onnx`, `module: model.mjs`),
 * checked to stay inside the model directory: the relative path passes safeArtifactPath (no
 * `..`, no absolute path, no backslash…) and, after symlinks are resolved, still lies under the
 * directory's real path. `what` names the file in errors ("ONNX model file").
 */
export async function resolveModelFile(dir: string, rel: unknown, what: string): Promise<string> {
  if (typeof rel !== 'string' || rel === '') {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Invalid MLmodel: the ${what} path is missing or not a string`,
    );
  }
  const safe = safeArtifactPath(rel);
  if (safe === '')
    throw new CairnError('INVALID_PARAMETER_VALUE', `Invalid MLmodel: the ${what} path is empty`);
  const root = await realpath(dir);
  let real: string;
  try {
    real = await realpath(join(root, safe));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CairnError(
        'RESOURCE_DOES_NOT_EXIST',
        `The ${what} '${safe}' is missing from the model directory`,
      );
    }
    throw e;
  }
  if (!real.startsWith(root + sep)) {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `The ${what} '${safe}' resolves outside the model directory (a symlink); refused`,
    );
  }
  return real;
}
