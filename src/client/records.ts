import { invalidParam } from '../core/errors.js';
import type { KeyValue } from '../tracking/types.js';

/** A param or tag value as text: strings as they are, numbers and booleans printed, the rest as JSON. */
export function valueText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? String(v);
}

/** A record as key/value pairs with text values; undefined values are left out. */
export function keyValues(record: Record<string, unknown> | undefined): KeyValue[] {
  if (!record) return [];
  return Object.entries(record)
    .filter(([, v]) => v !== undefined)
    .map(([key, v]) => ({ key, value: valueText(v) }));
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** wandb's config as params: `{optimizer: {lr: 0.1}}` → `{'optimizer.lr': 0.1}`; arrays and other values are leaves. */
export function flattenConfig(
  record: Record<string, unknown>,
  prefix = '',
  out: Record<string, unknown> = {},
): Record<string, unknown> {
  for (const [k, v] of Object.entries(record)) {
    if (isPlainObject(v) && Object.keys(v).length > 0) flattenConfig(v, `${prefix}${k}.`, out);
    else out[prefix + k] = v;
  }
  return out;
}

/** Metrics as wandb logs them: nested objects flattened with dots; every leaf must be a number. */
export function flattenNumbers(
  record: Record<string, unknown>,
  prefix = '',
  out: Record<string, number> = {},
): Record<string, number> {
  for (const [k, v] of Object.entries(record)) {
    const key = prefix + k;
    if (typeof v === 'number') out[key] = v;
    else if (isPlainObject(v)) flattenNumbers(v, `${key}.`, out);
    else
      throw invalidParam(`Metric '${key}' must be a number, got ${Array.isArray(v) ? 'an array' : typeof v}`);
  }
  return out;
}
