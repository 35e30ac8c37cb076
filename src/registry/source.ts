/**
 * Where a model version's files may come from. A pure check, shared by the registry (at version
 * creation) and the model URI resolver: no I/O, no symlink resolution.
 *
 * Accepted: `runs:/<run_id>/<path>`, `models:/<…>`, `mlflow-artifacts:/<path>` (optionally with
 * `//host:port`), and locations under one of the allowed roots (a local path, a `file:` URI, or a
 * URI such as `s3://bucket/prefix`). Every path part is decoded fully and checked by
 * safeArtifactPath (no `..`, however encoded, no absolute paths, no `\`, `#`, `?` or control
 * characters). Anything else (`http:`, `file:///etc`, `/proc/…`, relative paths) is refused.
 */
import { CairnError, isCairnError } from '../core/errors.js';
import { isRunId } from '../core/ids.js';
import { safeArtifactPath } from '../core/safe-path.js';
import { localPath, normalizeRoot } from '../store/artifact-roots.js';
import { printable } from './validate.js';

export type ModelSource =
  | { kind: 'runs'; runId: string; path: string }
  | { kind: 'models'; path: string }
  | { kind: 'mlflow-artifacts'; path: string }
  | { kind: 'location'; root: string; path: string };

/** The longest source accepted, in characters. */
export const MAX_SOURCE_LENGTH = 1024;

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/** Parses and checks `source`; throws INVALID_PARAMETER_VALUE naming the problem. */
export function checkModelSource(source: unknown, allowedRoots: readonly string[]): ModelSource {
  if (typeof source !== 'string' || source === '')
    throw new CairnError('INVALID_PARAMETER_VALUE', "Missing value for required parameter 'source'.");
  const refuse = (why: string): never => {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Invalid model version source: '${printable(source, 200)}': ${why}. A source must be a runs:/<run_id>/<path>, models:/… or mlflow-artifacts:/… URI, or a location under the server's artifact root.`,
    );
  };
  const checked = (p: string, allowEmpty: boolean): string => {
    let rel: string;
    try {
      rel = safeArtifactPath(p);
    } catch (e) {
      if (isCairnError(e)) return refuse(e.message.replace(/^Invalid artifact path:? ?/, 'its path '));
      throw e;
    }
    if (rel === '' && !allowEmpty) return refuse('it names no path');
    return rel;
  };
  if (source.length > MAX_SOURCE_LENGTH) return refuse(`longer than ${MAX_SOURCE_LENGTH} characters`);

  const scheme = SCHEME.exec(source)?.[1]?.toLowerCase();
  const rest = scheme ? source.slice(scheme.length + 1) : source;
  if (scheme === 'runs') {
    const m = /^\/([^/]*)(?:\/(.*))?$/s.exec(rest);
    if (!m) return refuse('expected runs:/<run_id>/<path>');
    if (!isRunId(m[1]!)) return refuse(`'${printable(m[1]!)}' is not a run id`);
    return { kind: 'runs', runId: m[1]!, path: checked(m[2] ?? '', true) };
  }
  if (scheme === 'models') {
    if (!rest.startsWith('/'))
      return refuse('expected models:/<name>/<version>, models:/<name>@<alias> or models:/m-<id>');
    return { kind: 'models', path: checked(rest.slice(1), false) };
  }
  if (scheme === 'mlflow-artifacts') {
    const m = /^(?:\/\/[^/?#]*)?\/(.*)$/s.exec(rest);
    if (!m) return refuse('expected mlflow-artifacts:/<path>');
    return { kind: 'mlflow-artifacts', path: checked(m[1]!, false) };
  }

  const local = scheme === undefined || scheme === 'file' ? localPath(scheme ? rest : source) : undefined;
  if ((scheme === undefined || scheme === 'file') && local === undefined)
    return refuse('a local source must be an absolute path or a file:/// URI');
  for (const root of allowedRoots) {
    const base = normalizeRoot(root);
    if (base.local !== (local !== undefined)) continue;
    const candidate = local ?? `${scheme}:${rest}`;
    if (candidate.startsWith(`${base.text}/`)) {
      return { kind: 'location', root, path: checked(candidate.slice(base.text.length + 1), false) };
    }
  }
  return refuse(
    scheme && scheme !== 'file'
      ? `the '${scheme}:' scheme is not accepted here`
      : 'it is not under an allowed artifact root',
  );
}
