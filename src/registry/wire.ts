import { metricToWire, runInfoToWire, wireReaders } from '../tracking/wire.js';
import {
  type Lineage,
  MODEL_VERSION_STATUSES,
  type ModelVersion,
  type ModelVersionStatus,
  type RegisteredModel,
  STAGES,
  type Stage,
} from './types.js';

/**
 * MLflow's JSON encoding of registry types, both ways: the REST routes (server) and the HTTP
 * adapter (client) share it. As MLflow's protobuf JSON: versions are strings, empty lists are
 * omitted, `description`, `run_id` and `run_link` are always present.
 */

type Obj = Record<string, unknown>;

function compact<T extends Obj>(obj: T): T {
  for (const k of Object.keys(obj)) if (obj[k] === undefined) delete obj[k];
  return obj;
}

const nonEmpty = <T>(list: readonly T[]): T[] | undefined => (list.length > 0 ? [...list] : undefined);

export function modelVersionToWire(v: ModelVersion): Obj {
  return compact({
    name: v.name,
    version: v.version,
    creation_timestamp: v.creation_timestamp,
    last_updated_timestamp: v.last_updated_timestamp,
    user_id: v.user_id || undefined,
    current_stage: v.current_stage,
    description: v.description,
    source: v.source,
    run_id: v.run_id,
    status: v.status,
    status_message: v.status_message || undefined,
    tags: nonEmpty(v.tags),
    run_link: v.run_link,
    aliases: nonEmpty(v.aliases),
    model_id: v.model_id || undefined,
  });
}

export function registeredModelToWire(m: RegisteredModel): Obj {
  return compact({
    name: m.name,
    creation_timestamp: m.creation_timestamp,
    last_updated_timestamp: m.last_updated_timestamp,
    description: m.description,
    latest_versions: nonEmpty(m.latest_versions.map(modelVersionToWire)),
    tags: nonEmpty(m.tags),
    aliases: nonEmpty(m.aliases),
  });
}

/** Cairn's lineage document (`GET /api/2.0/cairn/model-versions/lineage`). */
export function lineageToWire(l: Lineage): Obj {
  return {
    model_version: modelVersionToWire(l.modelVersion),
    run: l.run
      ? {
          info: runInfoToWire(l.run.info),
          params: l.run.params,
          metrics: l.run.metrics.map(metricToWire),
          inputs: l.run.inputs,
        }
      : null,
  };
}

// ---- from the wire (client side: answers of a Cairn or MLflow server) ----

const { asObj, asList, str, num, kvs } = wireReaders;

export function modelVersionFromWire(raw: unknown): ModelVersion {
  const v = asObj(raw);
  const stage = STAGES.find((s) => s === v['current_stage']) ?? 'None';
  const status = MODEL_VERSION_STATUSES.find((s) => s === v['status']) ?? 'READY';
  return {
    name: str(v['name']),
    version: str(v['version']),
    creation_timestamp: num(v['creation_timestamp']),
    last_updated_timestamp: num(v['last_updated_timestamp']),
    ...(v['user_id'] ? { user_id: str(v['user_id']) } : {}),
    current_stage: stage as Stage,
    description: str(v['description']),
    source: str(v['source']),
    run_id: str(v['run_id']),
    status: status as ModelVersionStatus,
    ...(v['status_message'] ? { status_message: str(v['status_message']) } : {}),
    tags: kvs(v['tags']),
    run_link: str(v['run_link']),
    aliases: Array.isArray(v['aliases']) ? v['aliases'].map(str) : [],
    ...(v['model_id'] ? { model_id: str(v['model_id']) } : {}),
  };
}

export function registeredModelFromWire(raw: unknown): RegisteredModel {
  const m = asObj(raw);
  return {
    name: str(m['name']),
    creation_timestamp: num(m['creation_timestamp']),
    last_updated_timestamp: num(m['last_updated_timestamp']),
    description: str(m['description']),
    latest_versions: asList(m['latest_versions']).map(modelVersionFromWire),
    tags: kvs(m['tags']),
    aliases: asList(m['aliases']).map((a) => ({ alias: str(a['alias']), version: str(a['version']) })),
  };
}
