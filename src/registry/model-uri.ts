import { CairnError } from '../core/errors.js';
import { isRunId } from '../core/ids.js';
import { safeArtifactPath } from '../core/safe-path.js';

/** A model URI, parsed: every form MLflow's clients and Cairn's serving accept. */
export type ModelUri =
  | { kind: 'runs'; runId: string; path: string }
  | { kind: 'version'; name: string; version: string }
  | { kind: 'stage'; name: string; stage: string }
  | { kind: 'latest'; name: string }
  | { kind: 'alias'; name: string; alias: string }
  | { kind: 'logged'; modelId: string }
  | { kind: 'artifacts'; path: string }
  | { kind: 'local'; path: string };

const STAGES: Record<string, string> = {
  none: 'None',
  staging: 'Staging',
  production: 'Production',
  archived: 'Archived',
};
const LOGGED_MODEL_ID = /^m-[0-9a-f]{32}$/;

const bad = (uri: string, why: string) =>
  new CairnError('INVALID_PARAMETER_VALUE', `Invalid model URI '${uri.slice(0, 300)}': ${why}`);

/**
 * `runs:/<run_id>/<path>`, `models:/<name>/<version>`, `models:/<name>/<stage>`,
 * `models:/<name>/latest`, `models:/<name>@<alias>`, `models:/m-<model_id>`,
 * `mlflow-artifacts:/<path>`, or a local path / `file://` URI. Paths are checked with
 * safeArtifactPath; whether a local path is allowed is the resolver's decision.
 */
export function parseModelUri(uri: string): ModelUri {
  if (typeof uri !== 'string' || uri.trim() === '') throw bad(String(uri), 'empty');
  if (uri.startsWith('runs:/')) {
    const m = /^runs:\/([^/]+)(?:\/(.*))?$/s.exec(uri);
    if (!m || !isRunId(m[1]!)) throw bad(uri, 'expected runs:/<run_id>/<path>');
    return { kind: 'runs', runId: m[1]!, path: checkedPath(uri, m[2] ?? '') };
  }
  if (uri.startsWith('models:/')) return parseModelsUri(uri, uri.slice('models:/'.length));
  if (uri.startsWith('mlflow-artifacts:')) {
    const m = /^mlflow-artifacts:(?:\/\/[^/?#]*)?\/(.*)$/s.exec(uri);
    if (!m) throw bad(uri, 'expected mlflow-artifacts:/<path>');
    return { kind: 'artifacts', path: checkedPath(uri, m[1]!) };
  }
  if (uri.startsWith('file://')) {
    const m = /^file:\/\/(?:localhost)?(\/.*)$/s.exec(uri);
    if (!m) throw bad(uri, 'a file URI must be file:///<absolute path>');
    return { kind: 'local', path: decodeURIComponent(m[1]!) };
  }
  if (/^[a-z][\w+.-]*:/i.test(uri) && !/^[a-z]:[\\/]/i.test(uri)) {
    throw bad(uri, 'unknown scheme; expected runs:/, models:/, mlflow-artifacts:/ or a local path');
  }
  return { kind: 'local', path: uri };
}

function parseModelsUri(uri: string, rest: string): ModelUri {
  if (LOGGED_MODEL_ID.test(rest)) return { kind: 'logged', modelId: rest };
  const at = /^([^/@]+)@([\w-]+)$/.exec(rest);
  if (at) return { kind: 'alias', name: decodeName(uri, at[1]!), alias: at[2]! };
  const m = /^([^/@]+)\/([^/]+)$/.exec(rest);
  if (!m)
    throw bad(
      uri,
      'expected models:/<name>/<version|stage|latest>, models:/<name>@<alias> or models:/m-<id>',
    );
  const name = decodeName(uri, m[1]!);
  const ref = m[2]!;
  if (/^\d+$/.test(ref)) return { kind: 'version', name, version: String(Number(ref)) };
  if (ref.toLowerCase() === 'latest') return { kind: 'latest', name };
  const stage = STAGES[ref.toLowerCase()];
  if (stage) return { kind: 'stage', name, stage };
  throw bad(
    uri,
    `'${ref}' is not a version number, a stage (None, Staging, Production, Archived) or 'latest'`,
  );
}

function decodeName(uri: string, raw: string): string {
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    throw bad(uri, 'the model name is not valid percent-encoding');
  }
  if (name.trim() === '' || [...name].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) {
    throw bad(uri, 'invalid model name');
  }
  return name;
}

function checkedPath(uri: string, raw: string): string {
  try {
    return safeArtifactPath(raw);
  } catch (e) {
    throw bad(uri, (e as Error).message);
  }
}
