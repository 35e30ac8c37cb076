import { CairnError } from '../core/errors.js';
import { isRunId } from '../core/ids.js';
import type { KeyValue } from '../tracking/types.js';
import { registryErrors } from './errors.js';
import { ACTIVE_STAGES, STAGES, type Stage } from './types.js';

/** MLflow's registry limits (mlflow/utils/validation.py and its registry tables). */
export const REGISTRY_LIMITS = {
  nameLength: 256,
  tagKeyLength: 250,
  tagValueLength: 100_000,
  aliasLength: 255,
  descriptionLength: 5000,
  runLinkLength: 500,
  maxResultsModels: 1000,
  defaultMaxResultsModels: 100,
  maxResultsVersions: 200_000,
  defaultMaxResultsVersions: 10_000,
} as const;

const bad = (message: string) => new CairnError('INVALID_PARAMETER_VALUE', message);
const missing = (field: string) => bad(`Missing value for required parameter '${field}'.`);

const LONE_SURROGATE = /\p{Cs}/u;
/** Characters that make a name ambiguous in URLs and model URIs (`models:/<name>/<version>`). */
const FORBIDDEN = ['/', '\\', ':', '%'] as const;

/**
 * A registered model name, canonical: what a client sends is exactly what is stored, and two
 * names never differ only by URL encoding. MLflow forbids `%` (its UI decodes names in URLs, so
 * `m%6fdel` would show `model`), `/` and `:` (they split `models:/` URIs); Cairn also forbids `\`
 * (browsers read it as `/`), control characters, names made only of dots (`models:/../1`
 * normalises away) and names not in Unicode NFC (they look the same as their NFC form).
 */
export function validateModelName(name: unknown, field = 'name'): string {
  if (name === undefined || name === null || name === '') throw missing(field);
  if (typeof name !== 'string') throw bad(`Invalid value for parameter '${field}': expected a string.`);
  const invalid = (problem: string) =>
    bad(
      `Invalid registered model name '${printable(name)}': ${problem}. Names may not contain '/', '\\', ':', '%' or control characters.`,
    );
  if (name.length > REGISTRY_LIMITS.nameLength)
    throw invalid(`longer than ${REGISTRY_LIMITS.nameLength} characters`);
  if ([...name].some(isControl)) throw invalid('it contains a control character');
  if (LONE_SURROGATE.test(name)) throw invalid('it contains invalid Unicode (a lone surrogate)');
  const forbidden = FORBIDDEN.find((c) => name.includes(c));
  if (forbidden) throw invalid(`it contains '${forbidden}'`);
  if (/^\.+$/.test(name)) throw invalid('a name may not be made only of dots');
  if (name.normalize('NFC') !== name) throw invalid('it is not in Unicode normal form C');
  return name;
}

/** A version number as a canonical decimal string (`"01"` → `"1"`), as MLflow's int(version). */
export function validateVersion(version: unknown): string {
  if (version === undefined || version === null || version === '') throw missing('version');
  const text = typeof version === 'number' ? String(version) : version;
  if (typeof text !== 'string' || !/^\d{1,15}$/.test(text)) {
    throw bad(`Parameter 'version' must be an integer, got '${printable(String(version))}'.`);
  }
  return String(Number(text));
}

/** MLflow's alias rules: `^[\w-]*$`, at most 255 characters, not `latest`, not `v<digits>`. */
export function validateAlias(alias: unknown): string {
  if (alias === undefined || alias === null || alias === '')
    throw bad('Registered model alias name cannot be empty.');
  if (typeof alias !== 'string') throw bad("Invalid value for parameter 'alias': expected a string.");
  if (!/^[\w-]*$/.test(alias)) {
    throw bad(
      `Invalid alias name: '${printable(alias)}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`,
    );
  }
  if (alias.length > REGISTRY_LIMITS.aliasLength)
    throw bad(
      `'Registered model alias name' exceeds the maximum length of ${REGISTRY_LIMITS.aliasLength} characters`,
    );
  if (alias.toLowerCase() === 'latest') throw bad("'latest' alias name (case insensitive) is reserved.");
  if (/^[vV]\d+$/.test(alias)) throw bad(`Version alias name '${alias}' is reserved.`);
  return alias;
}

const TAG_KEY = /^[/\w.\- :]*$/;

/** A registry tag: MLflow's tag-name rules, key ≤ 250 and value ≤ 100,000 characters. */
export function validateRegistryTag(tag: KeyValue): KeyValue {
  const { key, value } = tag;
  if (typeof key !== 'string' || key === '') throw missing('key');
  if (!TAG_KEY.test(key)) {
    throw bad(
      `Invalid tag name: '${printable(key)}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).`,
    );
  }
  if (pathNotUnique(key)) {
    throw bad(
      `Invalid tag name: '${key}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such.`,
    );
  }
  if (key.length > REGISTRY_LIMITS.tagKeyLength)
    throw bad(`'key' exceeds the maximum length of ${REGISTRY_LIMITS.tagKeyLength} characters`);
  if (typeof value !== 'string') throw bad(`Tag '${key}' must have a string value.`);
  if (value.length > REGISTRY_LIMITS.tagValueLength)
    throw bad(`'value' exceeds the maximum length of ${REGISTRY_LIMITS.tagValueLength} characters`);
  return { key, value };
}

/** Validated tags with later duplicates of a key winning, as MLflow stores them. */
export function validateRegistryTags(tags: readonly KeyValue[] | undefined): KeyValue[] {
  const byKey = new Map<string, string>();
  for (const t of tags ?? []) {
    const { key, value } = validateRegistryTag(t);
    byKey.set(key, value);
  }
  return [...byKey].map(([key, value]) => ({ key, value }));
}

/** A name `posixpath.normpath` would change (`a//b`, `./a`, `a/..`), or one that escapes (`..`, `/a`). */
function pathNotUnique(name: string): boolean {
  if (name.startsWith('/')) return true;
  return name.split('/').some((s) => s === '' || s === '.' || s === '..');
}

export function validateDescription(description: unknown): string {
  if (description === undefined || description === null) return '';
  if (typeof description !== 'string')
    throw bad("Invalid value for parameter 'description': expected a string.");
  if (description.length > REGISTRY_LIMITS.descriptionLength)
    throw bad(`'description' exceeds the maximum length of ${REGISTRY_LIMITS.descriptionLength} characters`);
  return description;
}

export function validateRunLink(link: unknown): string {
  if (link === undefined || link === null) return '';
  if (typeof link !== 'string') throw bad("Invalid value for parameter 'run_link': expected a string.");
  if (link.length > REGISTRY_LIMITS.runLinkLength)
    throw bad(`'run_link' exceeds the maximum length of ${REGISTRY_LIMITS.runLinkLength} characters`);
  return link;
}

/** An optional run id: empty, or MLflow's run id shape. */
export function validateOptionalRunId(runId: unknown): string {
  if (runId === undefined || runId === null || runId === '') return '';
  if (typeof runId !== 'string' || !isRunId(runId))
    throw bad(`Invalid value ${JSON.stringify(runId)} for parameter 'run_id' supplied.`);
  return runId;
}

/** A stage in any letter case, as its canonical spelling (`production` → `Production`). */
export function canonicalStage(stage: unknown): Stage {
  const s =
    typeof stage === 'string' ? STAGES.find((x) => x.toLowerCase() === stage.toLowerCase()) : undefined;
  if (!s) throw registryErrors.invalidStage(String(stage), STAGES);
  return s;
}

export function checkArchiveExisting(stage: Stage, archiveExisting: boolean): void {
  if (archiveExisting && !ACTIVE_STAGES.includes(stage))
    throw registryErrors.cannotArchive(stage, ACTIVE_STAGES);
}

const isControl = (ch: string): boolean => {
  const c = ch.charCodeAt(0);
  return c < 0x20 || c === 0x7f;
};

/** Text for an error message: control characters escaped, long text cut. */
export function printable(s: string, max = 120): string {
  const cut = s.length > max ? `${s.slice(0, max - 3)}...` : s;
  return [...cut]
    .map((ch) => (isControl(ch) ? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}` : ch))
    .join('');
}
