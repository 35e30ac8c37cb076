import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CairnError } from '../core/errors.js';
import type { Column, Frame } from '../core/frame.js';
import { frameFromSplit, parseMlflowJson } from './json-input.js';
import { resolveModelFile } from './model-files.js';
import { PyFloat, pyJsonDumps } from './py-json.js';
import type { ModelManifest } from './types.js';

/** File names MLflow gives an input example and its ready-made `/invocations` body. */
export const INPUT_EXAMPLE_FILE = 'input_example.json';
export const SERVING_INPUT_EXAMPLE_FILE = 'serving_input_example.json';

export interface InputExample {
  frame: Frame;
  params?: Record<string, unknown>;
}

/**
 * Writes an example as MLflow does for a pandas DataFrame: `input_example.json` in split orient
 * without the index (`{"columns": [...], "data": [[...]]}`, or `{"inputs": <that>, "params": {...}}`
 * with params) and `serving_input_example.json` (`{"dataframe_split": ..., "params": ...}`,
 * indented by 2). Returns the `saved_input_example_info` entry for MLmodel.
 */
export async function saveInputExample(
  dir: string,
  example: Frame | InputExample,
): Promise<Record<string, unknown>> {
  const { frame, params } = 'frame' in example ? example : { frame: example, params: undefined };
  const split = { columns: frame.names, data: rowsOf(frame) };
  const hasParams = params !== undefined && Object.keys(params).length > 0;
  const stored = hasParams ? { inputs: split, params } : split;
  const serving = hasParams ? { dataframe_split: split, params } : { dataframe_split: split };
  await writeFile(join(dir, INPUT_EXAMPLE_FILE), pyJsonDumps(stored));
  await writeFile(join(dir, SERVING_INPUT_EXAMPLE_FILE), pyJsonDumps(serving, 2));
  return {
    artifact_path: INPUT_EXAMPLE_FILE,
    type: 'dataframe',
    pandas_orient: 'split',
    ...(hasParams ? { params: 'true' } : {}),
    serving_input_path: SERVING_INPUT_EXAMPLE_FILE,
  };
}

function rowsOf(frame: Frame): unknown[][] {
  const rows: unknown[][] = [];
  for (let r = 0; r < frame.length; r++) rows.push(frame.columns.map((c) => jsonValue(c, r)));
  return rows;
}

function jsonValue(c: Column, r: number): unknown {
  const v = c.values[r];
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return null;
  switch (c.type) {
    case 'double':
    case 'float':
      return new PyFloat(v as number);
    case 'boolean':
      return v === 1;
    case 'binary':
      return Buffer.from(v as Uint8Array).toString('base64');
    case 'datetime':
      return new Date(v as number).toISOString();
    default:
      return v;
  }
}

/**
 * Reads the example a model directory holds (as MLmodel's `saved_input_example_info` names it),
 * or undefined when it has none. Reads only the example file, inside the model directory.
 */
export async function loadInputExample(
  dir: string,
  manifest: ModelManifest,
): Promise<InputExample | undefined> {
  const info = manifest.saved_input_example_info;
  if (!info) return undefined;
  const file = await resolveModelFile(dir, info.artifact_path, 'input example');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new CairnError('INVALID_PARAMETER_VALUE', `Invalid input example: ${(e as Error).message}`);
  }
  let params: Record<string, unknown> | undefined;
  if ((info.params === 'true' || info.params === true) && isObject(json) && 'inputs' in json) {
    params = isObject(json.params) ? json.params : undefined;
    json = json.inputs;
  }
  let frame: Frame;
  if (info.type === 'dataframe') {
    frame = frameFromSplit(info.pandas_orient === 'values' && Array.isArray(json) ? { data: json } : json);
  } else if (info.type === 'ndarray' || info.type === 'json_object') {
    // MLflow before 2.16 stored ndarray examples in TF-serving form, `{"inputs": ...}`.
    const body = info.format === 'tf-serving' && isObject(json) ? json : { inputs: json };
    frame = parseMlflowJson(body).frame;
  } else {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Input examples of type '${String(info.type)}' are not supported`,
    );
  }
  return params ? { frame, params } : { frame };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
