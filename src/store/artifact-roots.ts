import path from 'node:path';
import { CairnError, isCairnError } from '../core/errors.js';
import { safeArtifactPath } from '../core/safe-path.js';

/**
 * Where a server lets artifacts live: `mlflow-artifacts:/…` (under its own artifact destination)
 * and locations under its allowed roots (a local path, a `file:` URI, `s3://bucket/prefix`).
 * A pure check on text: the part below the root is decoded fully and checked by safeArtifactPath,
 * so no `..`, however encoded, climbs out of a root.
 */
export type RootedLocation =
  | { kind: 'mlflow-artifacts'; path: string }
  | { kind: 'root'; root: string; path: string };

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/**
 * The location as a path under the proxy or one of `roots`; `undefined` when it is under none.
 * Throws INVALID_PARAMETER_VALUE when it is under a root but its path is unsafe.
 */
export function locateUnderRoots(location: string, roots: readonly string[]): RootedLocation | undefined {
  const scheme = SCHEME.exec(location)?.[1]?.toLowerCase();
  const rest = scheme ? location.slice(scheme.length + 1) : location;
  if (scheme === 'mlflow-artifacts') {
    const m = /^(?:\/\/[^/?#]*)?\/(.*)$/s.exec(rest);
    if (!m) return undefined;
    return { kind: 'mlflow-artifacts', path: safeArtifactPath(m[1]!) };
  }
  const isLocal = scheme === undefined || scheme === 'file' || scheme.length === 1;
  const raw = isLocal ? localPath(scheme === 'file' ? rest : location) : undefined;
  // A file: URI is percent-encoded (as the roots' own file: URIs are); a plain path is not.
  const local = raw !== undefined && scheme === 'file' ? decodeURISafe(raw) : raw;
  if (isLocal && local === undefined) return undefined;
  for (const root of roots) {
    const base = normalizeRoot(root);
    if (base.local !== isLocal) continue;
    const candidate = local ?? `${scheme}:${rest}`;
    if (candidate === base.text || candidate === `${base.text}/`) return { kind: 'root', root, path: '' };
    if (candidate.startsWith(`${base.text}/`)) {
      return { kind: 'root', root, path: safeArtifactPath(candidate.slice(base.text.length + 1)) };
    }
  }
  return undefined;
}

/**
 * Refuses an artifact location outside the allowed roots (an experiment's `artifact_location`, a
 * run's `artifact_uri`): INVALID_PARAMETER_VALUE naming what is accepted.
 */
export function checkArtifactLocationUnderRoots(location: string, roots: readonly string[]): void {
  let found: RootedLocation | undefined;
  try {
    found = locateUnderRoots(location, roots);
  } catch (e) {
    if (!isCairnError(e)) throw e;
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Invalid artifact location '${shown(location)}': ${e.message}`,
    );
  }
  if (found === undefined) {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Artifact location '${shown(location)}' is not allowed: use mlflow-artifacts:/… or a location under the server's artifact root.`,
    );
  }
}

/** The raw absolute path of `/p`, `file:/p`, `file:///p` or `file://localhost/p`; undefined otherwise. */
export function localPath(p: string): string | undefined {
  let rest = p;
  if (rest.startsWith('//')) {
    const m = /^\/\/(localhost)?(\/.*)$/is.exec(rest);
    if (!m) return undefined;
    rest = m[2]!;
  }
  if (!rest.startsWith('/') || rest.startsWith('//')) return undefined;
  return rest;
}

/** A root as text to compare with: an absolute local path, or a URI with its scheme lower-cased. */
export function normalizeRoot(root: string): { local: boolean; text: string } {
  const scheme = SCHEME.exec(root)?.[1]?.toLowerCase();
  if (scheme && scheme.length > 1 && scheme !== 'file') {
    return { local: false, text: `${scheme}:${root.slice(scheme.length + 1)}`.replace(/\/+$/, '') };
  }
  const raw = scheme === 'file' ? (localPath(root.slice(5)) ?? root.slice(5)) : root;
  return {
    local: true,
    text: path.posix.resolve(scheme === 'file' ? decodeURISafe(raw) : raw).replace(/\/+$/, ''),
  };
}

function decodeURISafe(s: string): string {
  try {
    return decodeURI(s);
  } catch {
    return s;
  }
}

function shown(s: string): string {
  const clean = s.replace(/\p{Cc}/gu, '?');
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}
