import { CairnError } from '../core/errors.js';
import { isExperimentId, isRunId } from '../core/ids.js';
import type { DatasetInput, KeyValue, Metric, RunBatch } from './types.js';

/** MLflow's limits (mlflow/utils/validation.py). */
export const LIMITS = {
  batchParams: 100,
  batchTags: 100,
  batchMetrics: 1000,
  batchEntities: 1000,
  datasetsPerCall: 1000,
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  experimentNameLength: 500,
  experimentTagKeyLength: 250,
  experimentTagValueLength: 5000,
  runNameLength: 250,
  /** MLflow's `runs.user_id` column is VARCHAR(256). */
  userIdLength: 256,
  datasetName: 500,
  datasetDigest: 36,
  datasetSource: 65_535,
  datasetSchema: 1_048_575,
  datasetProfile: 16_777_215,
  maxResultsRuns: 50_000,
  maxResultsExperiments: 50_000,
  maxResultsHistory: 25_000,
} as const;

const bad = (message: string) => new CairnError('INVALID_PARAMETER_VALUE', message);
const VALID_NAME = /^[/\w.\- :]*$/;

/** Metric, param and tag keys: MLflow's character set, no path tricks, at most 250 characters. */
export function validateKey(kind: 'metric' | 'param' | 'tag', key: unknown): string {
  if (typeof key !== 'string' || key === '')
    throw bad(`Invalid ${kind} name: '${String(key)}'. Names must be non-empty strings.`);
  if (key.length > LIMITS.keyLength) {
    throw bad(
      `${capital(kind)} name '${key.slice(0, 40)}…' had length ${key.length}, which exceeded length limit of ${LIMITS.keyLength}`,
    );
  }
  if (kind !== 'tag' && !VALID_NAME.test(key)) {
    throw bad(
      `Invalid ${kind} name: '${key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).`,
    );
  }
  if (key.split('/').some((s) => s === '..') || key.startsWith('/')) {
    throw bad(
      `Invalid ${kind} name: '${key}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such.`,
    );
  }
  return key;
}

function capital(s: string): string {
  return s[0]!.toUpperCase() + s.slice(1);
}

export function validateRunId(runId: unknown): string {
  if (typeof runId !== 'string' || !isRunId(runId)) throw bad(`Invalid run ID: '${String(runId)}'`);
  return runId;
}

export function validateExperimentId(id: unknown): string {
  const s = typeof id === 'number' && Number.isSafeInteger(id) ? String(id) : id;
  if (typeof s !== 'string' || !isExperimentId(s)) throw bad(`Invalid experiment ID: '${String(id)}'`);
  return s;
}

export function validateExperimentName(name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw bad(`Invalid experiment name: '${String(name)}'. Expected a non-empty string.`);
  }
  if (name.length > LIMITS.experimentNameLength) {
    throw bad(
      `Experiment name had length ${name.length}, which exceeded length limit of ${LIMITS.experimentNameLength}`,
    );
  }
  return name;
}

export function validateParamValue(key: string, value: string): void {
  if (value.length > LIMITS.paramValueLength) {
    throw bad(
      `Param value '${value.slice(0, 40)}…' had length ${value.length}, which exceeded length limit of ${LIMITS.paramValueLength}`,
    );
  }
  if (key.length > LIMITS.keyLength)
    throw bad(`Param key '${key}' exceeded length limit of ${LIMITS.keyLength}`);
}

export function validateTagValue(key: string, value: string, limit: number = LIMITS.tagValueLength): void {
  if (value.length > limit) {
    throw bad(
      `Tag value '${value.slice(0, 40)}…' for key '${key}' had length ${value.length}, which exceeded length limit of ${limit}`,
    );
  }
}

/**
 * Checks a whole log-batch before anything is written: counts, keys, values, duplicates.
 * Returns the batch with duplicate identical params removed.
 */
export function validateBatch(batch: RunBatch): RunBatch {
  const { metrics, params, tags } = batch;
  if (params.length > LIMITS.batchParams) {
    throw bad(
      `A batch logging request can contain at most ${LIMITS.batchParams} params. Got ${params.length} params. Please split up params across multiple requests and try again.`,
    );
  }
  if (tags.length > LIMITS.batchTags) {
    throw bad(
      `A batch logging request can contain at most ${LIMITS.batchTags} tags. Got ${tags.length} tags. Please split up tags across multiple requests and try again.`,
    );
  }
  if (metrics.length > LIMITS.batchMetrics) {
    throw bad(
      `A batch logging request can contain at most ${LIMITS.batchMetrics} metrics. Got ${metrics.length} metrics. Please split up metrics across multiple requests and try again.`,
    );
  }
  const total = metrics.length + params.length + tags.length;
  if (total > LIMITS.batchEntities) {
    throw bad(
      `A batch logging request can contain at most ${LIMITS.batchEntities} total metrics, params, and tags. Got ${total} entities. Please split up the request across multiple requests and try again.`,
    );
  }
  validateMetrics(metrics);
  const seen = new Map<string, string>();
  const uniqueParams: KeyValue[] = [];
  for (const p of params) {
    validateKey('param', p.key);
    validateParamValue(p.key, p.value);
    const prior = seen.get(p.key);
    if (prior === undefined) {
      seen.set(p.key, p.value);
      uniqueParams.push(p);
    } else if (prior !== p.value) {
      throw bad(
        `Duplicate parameter keys have been submitted: ['${p.key}']. Please ensure the request contains only one param value per param key.`,
      );
    }
  }
  for (const t of tags) {
    validateKey('tag', t.key);
    validateTagValue(t.key, t.value);
  }
  return { metrics, params: uniqueParams, tags };
}

/** Metrics: valid keys, numeric values (NaN/±Infinity allowed), integer timestamps and steps. */
export function validateMetrics(metrics: Metric[]): void {
  // Batches repeat a few keys many times: check each distinct key once.
  const checked = new Set<string>();
  for (const m of metrics) {
    if (!checked.has(m.key)) {
      validateKey('metric', m.key);
      checked.add(m.key);
    }
    if (typeof m.value !== 'number')
      throw bad(
        `Got invalid value ${String(m.value)} for metric '${m.key}' (timestamp=${m.timestamp}). Please specify value as a valid double (64-bit floating point)`,
      );
    if (!Number.isSafeInteger(m.timestamp))
      throw bad(
        `Metric '${m.key}' has an invalid timestamp: ${String(m.timestamp)}. Timestamp must be an integer (milliseconds since the epoch).`,
      );
    if (!Number.isSafeInteger(m.step))
      throw bad(`Metric '${m.key}' has an invalid step: ${String(m.step)}. Step must be an integer.`);
  }
}

export function validateDatasetInputs(inputs: DatasetInput[]): void {
  if (inputs.length > LIMITS.datasetsPerCall) {
    throw bad(`Cannot log more than ${LIMITS.datasetsPerCall} datasets in one call. Got ${inputs.length}.`);
  }
  for (const { dataset, tags } of inputs) {
    const check = (field: string, v: string | undefined, max: number, required: boolean) => {
      if (v === undefined || v === '') {
        if (required) throw bad(`Dataset ${field} is required.`);
        return;
      }
      if (v.length > max) throw bad(`Dataset ${field} exceeds the maximum length of ${max}`);
    };
    check('name', dataset.name, LIMITS.datasetName, true);
    check('digest', dataset.digest, LIMITS.datasetDigest, true);
    check('source_type', dataset.source_type, 36, true);
    check('source', dataset.source, LIMITS.datasetSource, true);
    check('schema', dataset.schema, LIMITS.datasetSchema, false);
    check('profile', dataset.profile, LIMITS.datasetProfile, false);
    for (const t of tags) {
      validateKey('tag', t.key);
      validateTagValue(t.key, t.value);
    }
  }
}

export function validateMaxResults(value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw bad(
      `Invalid value ${value} for parameter 'max_results' supplied. It must be a positive integer at most ${max}.`,
    );
  }
  return value;
}
