import type { DatasetInput, Experiment, KeyValue, Metric, Run, RunInfo } from './types.js';

/**
 * MLflow's JSON encoding of tracking types, both ways. Used by the REST routes (server) and the
 * HTTP adapter (client), so the two can never drift apart. Empty lists are omitted, as MLflow's
 * protobuf serialisation omits them; doubles that JSON cannot hold travel as "NaN"/"Infinity".
 */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function doubleToWire(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'Infinity';
  if (v === Number.NEGATIVE_INFINITY) return '-Infinity';
  return v;
}

/** A protobuf-JSON double: a number, or the strings NaN / Infinity / -Infinity (or numeric text). */
export function doubleFromWire(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN') return Number.NaN;
    if (v === 'Infinity' || v === 'inf') return Number.POSITIVE_INFINITY;
    if (v === '-Infinity' || v === '-inf') return Number.NEGATIVE_INFINITY;
    if (v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  }
  return undefined;
}

/** A protobuf-JSON int64: a safe integer, or its decimal text. */
export function int64FromWire(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d{1,16}$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

const nonEmpty = <T>(list: T[] | undefined): T[] | undefined => (list && list.length > 0 ? list : undefined);

function compact<T extends Record<string, unknown>>(obj: T): T {
  for (const k of Object.keys(obj)) if (obj[k] === undefined) delete obj[k];
  return obj;
}

export function experimentToWire(e: Experiment): Record<string, unknown> {
  return compact({
    experiment_id: e.experiment_id,
    name: e.name,
    artifact_location: e.artifact_location,
    lifecycle_stage: e.lifecycle_stage,
    last_update_time: e.last_update_time,
    creation_time: e.creation_time,
    tags: nonEmpty(e.tags),
  });
}

export function metricToWire(m: Metric): Record<string, unknown> {
  return { key: m.key, value: doubleToWire(m.value), timestamp: m.timestamp, step: m.step };
}

export function runInfoToWire(i: RunInfo): Record<string, unknown> {
  return compact({
    run_uuid: i.run_uuid,
    experiment_id: i.experiment_id,
    run_name: i.run_name,
    user_id: i.user_id,
    status: i.status,
    start_time: i.start_time,
    end_time: i.end_time,
    artifact_uri: i.artifact_uri,
    lifecycle_stage: i.lifecycle_stage,
    run_id: i.run_id,
  });
}

export function runToWire(r: Run): Record<string, unknown> {
  return {
    info: runInfoToWire(r.info),
    data: compact({
      metrics: nonEmpty(r.data.metrics.map(metricToWire)),
      params: nonEmpty(r.data.params),
      tags: nonEmpty(r.data.tags),
    }),
    inputs: compact({ dataset_inputs: nonEmpty(r.inputs.dataset_inputs.map(datasetInputToWire)) }),
    outputs: compact({
      model_outputs: nonEmpty(r.outputs.model_outputs.map((o) => ({ model_id: o.model_id, step: o.step }))),
    }),
  };
}

function datasetInputToWire(d: DatasetInput): Record<string, unknown> {
  return compact({ tags: nonEmpty(d.tags), dataset: compact({ ...d.dataset }) });
}

// ---- from the wire (client side: responses of a Cairn or MLflow server) ----

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v && typeof v === 'object' ? (v as Obj) : {});
const asList = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(asObj) : []);
const str = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
const num = (v: unknown): number => int64FromWire(v) ?? 0;
const kvs = (v: unknown): KeyValue[] =>
  asList(v).map((t) => ({ key: str(t['key']), value: str(t['value']) }));

/**
 * Lenient readers of a server's JSON answer, shared by every HTTP adapter: a missing or odd field
 * reads as empty (an object, a list, `''`, 0) rather than failing the whole answer.
 */
export const wireReaders = { asObj, asList, str, num, kvs };

export function experimentFromWire(raw: unknown): Experiment {
  const e = asObj(raw);
  return {
    experiment_id: str(e['experiment_id']),
    name: str(e['name']),
    artifact_location: str(e['artifact_location']),
    lifecycle_stage: str(e['lifecycle_stage']) === 'deleted' ? 'deleted' : 'active',
    creation_time: num(e['creation_time']),
    last_update_time: num(e['last_update_time']),
    tags: kvs(e['tags']),
  };
}

export function metricFromWire(raw: unknown): Metric {
  const m = asObj(raw);
  return {
    key: str(m['key']),
    value: doubleFromWire(m['value']) ?? Number.NaN,
    timestamp: num(m['timestamp']),
    step: num(m['step']),
  };
}

export function runInfoFromWire(raw: unknown): RunInfo {
  const i = asObj(raw);
  const id = str(i['run_id'] ?? i['run_uuid']);
  const end = int64FromWire(i['end_time']);
  return {
    run_id: id,
    run_uuid: id,
    run_name: str(i['run_name']),
    experiment_id: str(i['experiment_id']),
    user_id: str(i['user_id']),
    status: (str(i['status']) || 'RUNNING') as RunInfo['status'],
    start_time: num(i['start_time']),
    ...(end !== undefined ? { end_time: end } : {}),
    artifact_uri: str(i['artifact_uri']),
    lifecycle_stage: str(i['lifecycle_stage']) === 'deleted' ? 'deleted' : 'active',
  };
}

export function runFromWire(raw: unknown): Run {
  const r = asObj(raw);
  const data = asObj(r['data']);
  return {
    info: runInfoFromWire(r['info']),
    data: {
      metrics: asList(data['metrics']).map(metricFromWire),
      params: kvs(data['params']),
      tags: kvs(data['tags']),
    },
    inputs: {
      dataset_inputs: asList(asObj(r['inputs'])['dataset_inputs']).map((d) => {
        const ds = asObj(d['dataset']);
        return {
          tags: kvs(d['tags']),
          dataset: {
            name: str(ds['name']),
            digest: str(ds['digest']),
            source_type: str(ds['source_type']),
            source: str(ds['source']),
            ...(ds['schema'] !== undefined ? { schema: str(ds['schema']) } : {}),
            ...(ds['profile'] !== undefined ? { profile: str(ds['profile']) } : {}),
          },
        };
      }),
    },
    outputs: {
      model_outputs: asList(asObj(r['outputs'])['model_outputs']).map((o) => ({
        model_id: str(o['model_id']),
        step: num(o['step']),
      })),
    },
  };
}
