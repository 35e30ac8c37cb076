import { createHash } from 'node:crypto';
import type { DatasetInput } from '../tracking/types.js';

/** The input tag MLflow reads for a dataset's role in a run (`training`, `validation`, …). */
export const DATASET_CONTEXT_TAG = 'mlflow.data.context';

/** Characters kept of the sha256 digest: MLflow shows short digests (8) and stores at most 36. */
export const DIGEST_LENGTH = 8;

export interface DatasetSpec {
  name: string;
  /** Given, or computed from schema + profile + source. */
  digest?: string;
  /** Where the data lives: a URI or path, or MLflow's JSON source object. */
  source: string | Record<string, unknown>;
  /** MLflow's source type (`local`, `http`, `s3`, `gcs`, `code`, …); inferred from the source if absent. */
  sourceType?: string;
  schema?: string | Record<string, unknown>;
  profile?: string | Record<string, unknown>;
  /** Stored as the `mlflow.data.context` input tag. */
  context?: string;
}

const text = (v: string | Record<string, unknown> | undefined): string | undefined =>
  v === undefined ? undefined : typeof v === 'string' ? v : JSON.stringify(v);

/** The sha256 of schema, profile and source (each length-prefixed, so parts cannot run together), cut short. */
export function datasetDigest(parts: { source: string; schema?: string; profile?: string }): string {
  const hash = createHash('sha256');
  for (const part of [parts.schema ?? '', parts.profile ?? '', parts.source])
    hash.update(`${part.length}:${part}`);
  return hash.digest('hex').slice(0, DIGEST_LENGTH);
}

/** `s3://…` → s3, `http(s)://…` → http, `gs://…` → gcs, a path or `file:` → local, other schemes by name. */
export function inferSourceType(source: string): string {
  const scheme = /^([a-z][\w+.-]*):/i.exec(source)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme.length === 1 || scheme === 'file') return 'local';
  if (scheme === 'http' || scheme === 'https') return 'http';
  if (scheme === 'gs') return 'gcs';
  if (scheme === 's3' || scheme === 's3a') return 's3';
  return scheme;
}

/** The DatasetInput that log-inputs takes, for a dataset spec. */
export function datasetInput(spec: DatasetSpec): DatasetInput {
  const source = text(spec.source) ?? '';
  const schema = text(spec.schema);
  const profile = text(spec.profile);
  const uri =
    typeof spec.source === 'string' ? spec.source : String(spec.source['uri'] ?? spec.source['url'] ?? '');
  return {
    tags: spec.context ? [{ key: DATASET_CONTEXT_TAG, value: spec.context }] : [],
    dataset: {
      name: spec.name,
      digest:
        spec.digest ??
        datasetDigest({ source, ...(schema ? { schema } : {}), ...(profile ? { profile } : {}) }),
      source_type: spec.sourceType ?? inferSourceType(uri),
      source,
      ...(schema !== undefined ? { schema } : {}),
      ...(profile !== undefined ? { profile } : {}),
    },
  };
}
