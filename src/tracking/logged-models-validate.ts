import { CairnError } from '../core/errors.js';
import { LOGGED_MODEL_ID } from './logged-models-types.js';
import type { KeyValue } from './types.js';
import { LIMITS, validateKey, validateParamValue, validateTagValue } from './validate.js';

/** Logged models' error messages, worded once (MLflow's wording where clients match on it). */
export const loggedModelErrors = {
  notFound: (modelId: string) =>
    new CairnError('RESOURCE_DOES_NOT_EXIST', `Logged model with ID '${modelId}' not found.`),
  experimentNotActive: (experimentId: string) =>
    new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Could not create model under non-active experiment with ID ${experimentId}.`,
    ),
  tagNotFound: (modelId: string, key: string) =>
    new CairnError(
      'RESOURCE_DOES_NOT_EXIST',
      `No tag with key '${key}' found for model with ID '${modelId}'.`,
    ),
  paramConflict: (modelId: string, key: string, oldValue: string, newValue: string) =>
    new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Changing param values is not allowed. Param with key='${key}' was already logged with value='${oldValue}' for logged model ID='${modelId}'. Attempted logging new value '${newValue}'.`,
    ),
};

const bad = (message: string) => new CairnError('INVALID_PARAMETER_VALUE', message);

export const LOGGED_MODEL_LIMITS = {
  nameLength: 500,
  modelTypeLength: 500,
  /** Model outputs per runs/outputs call. */
  outputsPerCall: 1000,
  maxResultsDefault: 50,
} as const;

export function validateLoggedModelId(modelId: unknown): string {
  if (typeof modelId !== 'string' || !LOGGED_MODEL_ID.test(modelId))
    throw bad(`Invalid logged model ID: '${String(modelId)}'. Expected 'm-' followed by 32 hex digits.`);
  return modelId;
}

const NAME_FORBIDDEN = ['/', ':', '.', '%', '"', "'"];

/** A logged model's name: non-empty, at most 500 characters, none of MLflow's forbidden characters. */
export function validateLoggedModelName(name: unknown): string {
  if (typeof name !== 'string' || name === '' || NAME_FORBIDDEN.some((c) => name.includes(c))) {
    throw bad(
      `Invalid model name (${JSON.stringify(name)}) provided. Model name must be a non-empty string and cannot contain the following characters: ${NAME_FORBIDDEN.join(' ')}`,
    );
  }
  if (name.length > LOGGED_MODEL_LIMITS.nameLength)
    throw bad(`Model name had length ${name.length}, which exceeded length limit of 500`);
  return name;
}

export function validateModelType(modelType: unknown): string {
  if (typeof modelType !== 'string' || modelType.length > LOGGED_MODEL_LIMITS.modelTypeLength)
    throw bad(
      `Invalid model_type: expected a string of at most ${LOGGED_MODEL_LIMITS.modelTypeLength} characters.`,
    );
  return modelType;
}

/** Params of one call: at most 100, valid keys and values; a key given twice must keep its value. */
export function validateLoggedModelParams(params: KeyValue[]): KeyValue[] {
  if (params.length > LIMITS.batchParams) {
    throw bad(
      `A logged model request can contain at most ${LIMITS.batchParams} params. Got ${params.length} params. Please split up params across multiple requests and try again.`,
    );
  }
  const seen = new Map<string, string>();
  for (const p of params) {
    validateKey('param', p.key);
    if (typeof p.value !== 'string') throw bad(`Param '${p.key}' must have a string value`);
    validateParamValue(p.key, p.value);
    const prior = seen.get(p.key);
    if (prior !== undefined && prior !== p.value)
      throw bad(`Duplicate parameter keys have been submitted: ['${p.key}'] with different values.`);
    seen.set(p.key, p.value);
  }
  return [...seen].map(([key, value]) => ({ key, value }));
}

const TAG_NAME = /^[/\w.\- :]*$/;

/**
 * Tags of one call: at most 100; keys use MLflow's name characters (as its logged-model stores
 * check), values at most 8000 characters. A key given twice keeps its last value.
 */
export function validateLoggedModelTags(tags: KeyValue[]): KeyValue[] {
  if (tags.length > LIMITS.batchTags) {
    throw bad(
      `A logged model request can contain at most ${LIMITS.batchTags} tags. Got ${tags.length} tags. Please split up tags across multiple requests and try again.`,
    );
  }
  const byKey = new Map<string, string>();
  for (const t of tags) {
    validateLoggedModelTagKey(t.key);
    if (typeof t.value !== 'string') throw bad(`Tag '${t.key}' must have a string value`);
    validateTagValue(t.key, t.value);
    byKey.set(t.key, t.value);
  }
  return [...byKey].map(([key, value]) => ({ key, value }));
}

export function validateLoggedModelTagKey(key: unknown): string {
  const k = validateKey('tag', key);
  if (!TAG_NAME.test(k)) {
    throw bad(
      `Invalid tag name: '${k}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).`,
    );
  }
  return k;
}
