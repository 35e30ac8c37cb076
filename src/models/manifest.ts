import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { CairnError } from '../core/errors.js';
import { decodeSignature, encodeSignature } from './signature-codec.js';
import type { ModelManifest } from './types.js';

/** The manifest's file name in a model directory, as MLflow names it. */
export const MLMODEL_FILE = 'MLmodel';

/**
 * The layout version Cairn writes as `mlflow_version` unless told otherwise: the MLflow release
 * whose MLmodel format Cairn's files follow (MLflow only reads the field for information).
 */
export const MLFLOW_FORMAT_VERSION = '2.22.0';

const invalid = (message: string) => new CairnError('INVALID_PARAMETER_VALUE', message);

/**
 * Decodes an MLmodel file. The YAML is read with the YAML 1.2 core schema (keys stay strings,
 * `utc_time_created` stays the string MLflow wrote), the signature's JSON strings are decoded,
 * and every other key is kept as is so the file round-trips.
 */
export function parseManifest(text: string, where = MLMODEL_FILE): ModelManifest {
  let doc: unknown;
  try {
    doc = parse(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (e) {
    throw invalid(`Invalid ${where}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw invalid(`Invalid ${where}: expected a YAML mapping at the top level`);
  }
  const raw = doc as Record<string, unknown>;
  const flavors = raw.flavors;
  if (flavors === null || typeof flavors !== 'object' || Array.isArray(flavors)) {
    throw invalid(`Invalid ${where}: 'flavors' must be a mapping of flavor name to its configuration`);
  }
  const flavorMap: Record<string, Record<string, unknown>> = {};
  for (const [name, conf] of Object.entries(flavors as Record<string, unknown>)) {
    if (conf === null) flavorMap[name] = {};
    else if (typeof conf === 'object' && !Array.isArray(conf))
      flavorMap[name] = conf as Record<string, unknown>;
    else throw invalid(`Invalid ${where}: flavor '${name}' must be a mapping`);
  }
  for (const key of [
    'artifact_path',
    'model_uuid',
    'model_id',
    'run_id',
    'utc_time_created',
    'mlflow_version',
  ]) {
    const v = raw[key];
    if (v !== undefined && v !== null && typeof v !== 'string') {
      throw invalid(`Invalid ${where}: '${key}' must be a string`);
    }
  }
  for (const key of ['saved_input_example_info', 'metadata']) {
    const v = raw[key];
    if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v))) {
      throw invalid(`Invalid ${where}: '${key}' must be a mapping`);
    }
  }
  const m: ModelManifest = { ...raw, flavors: flavorMap };
  if (raw.signature === null || raw.signature === undefined) delete m.signature;
  else m.signature = decodeSignature(raw.signature);
  return m;
}

/**
 * Writes a manifest the way MLflow's `yaml.safe_dump(..., default_flow_style=False)` does: keys
 * sorted, block style, list items at the parent's indent, strings that YAML 1.1 would read as
 * something else (times, `yes`, `0123`) quoted, and the signature as JSON strings. Undefined
 * values are left out, nulls kept.
 */
export function stringifyManifest(m: ModelManifest): string {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) if (v !== undefined) out[k] = v;
  if (m.signature) out.signature = encodeSignature(m.signature);
  const text = stringify(out, {
    version: '1.1',
    sortMapEntries: true,
    indentSeq: false,
    singleQuote: true,
    lineWidth: 0,
    aliasDuplicateObjects: false,
  });
  return text.split('\n').map(foldLikePyYaml).join('\n');
}

const PYYAML_WIDTH = 80;
const SCALAR_LINE = /^( *)(- |(?:[^\s'"#-][^:]*|'(?:[^']|'')*'): )('(?:[^']|'')*'|[^\s'"|>[{&*!#].*)$/;

/**
 * Folds a long single-quoted or plain scalar the way PyYAML does: at the first single space after
 * the line passes 80 columns, continuing 2 columns deeper than the key (or list dash).
 */
function foldLikePyYaml(line: string): string {
  const m = line.length > PYYAML_WIDTH ? SCALAR_LINE.exec(line) : null;
  if (!m) return line;
  const [, indent = '', key = '', value = ''] = m;
  const quoted = value.startsWith("'");
  const first = quoted ? 1 : 0;
  const last = quoted ? value.length - 1 : value.length;
  const next = `\n${indent}  `;
  let out = indent + key;
  let col = out.length;
  for (let i = 0; i < value.length; ) {
    let j = i;
    const space = value[i] === ' ';
    while (j < value.length && (value[j] === ' ') === space) j++;
    if (space && j - i === 1 && col > PYYAML_WIDTH && i > first && j < last) {
      out += next;
      col = next.length - 1;
    } else {
      out += value.slice(i, j);
      col += j - i;
    }
    i = j;
  }
  return out;
}

/** Reads `<dir>/MLmodel`; a missing file is RESOURCE_DOES_NOT_EXIST, an invalid one INVALID_PARAMETER_VALUE. */
export async function readManifest(dir: string): Promise<ModelManifest> {
  let text: string;
  try {
    text = await readFile(join(dir, MLMODEL_FILE), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new CairnError(
        'RESOURCE_DOES_NOT_EXIST',
        `No ${MLMODEL_FILE} file in '${dir}': not an MLflow model directory`,
      );
    }
    if (code === 'EISDIR') throw invalid(`Invalid model directory '${dir}': ${MLMODEL_FILE} is a directory`);
    throw e;
  }
  return parseManifest(text, `${MLMODEL_FILE} in '${dir}'`);
}

export async function writeManifest(dir: string, m: ModelManifest): Promise<void> {
  await writeFile(join(dir, MLMODEL_FILE), stringifyManifest(m));
}

/** `utc_time_created` as MLflow writes it: `'2024-01-01 12:00:00.000000'` (UTC, microseconds). */
export function formatUtcTime(d: Date): string {
  return `${d.toISOString().slice(0, 23).replace('T', ' ')}000`;
}

/** A new `model_uuid`: a random UUID as 32 hex digits, as MLflow's `uuid.uuid4().hex`. */
export function newModelUuid(): string {
  return randomUUID().replaceAll('-', '');
}
