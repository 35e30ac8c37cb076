import {
  LOGGED_MODEL_STATUSES,
  type LoggedModel,
  type LoggedModelRegistration,
  type LoggedModelStatus,
} from './logged-models-types.js';
import { int64FromWire, metricFromWire, metricToWire, wireReaders } from './wire.js';

/**
 * MLflow's JSON encoding of logged models, both ways: used by the routes (server) and the HTTP
 * adapter (client). Empty lists and unset optional fields are omitted, as protobuf JSON omits them.
 */

const ENUM_NUMBERS: Record<string, LoggedModelStatus> = {
  '1': 'LOGGED_MODEL_PENDING',
  '2': 'LOGGED_MODEL_READY',
  '3': 'LOGGED_MODEL_UPLOAD_FAILED',
};

/**
 * A LoggedModelStatus from the wire: its enum name, its number (protobuf JSON allows either), or
 * MLflow's Python names (PENDING, READY, FAILED). Undefined for anything else.
 */
export function loggedModelStatusFromWire(v: unknown): LoggedModelStatus | undefined {
  const s = String(v).toUpperCase();
  if ((LOGGED_MODEL_STATUSES as readonly string[]).includes(s)) return s as LoggedModelStatus;
  if (Object.hasOwn(ENUM_NUMBERS, s)) return ENUM_NUMBERS[s];
  if (s === 'PENDING' || s === 'READY') return `LOGGED_MODEL_${s}`;
  if (s === 'FAILED' || s === 'UPLOAD_FAILED') return 'LOGGED_MODEL_UPLOAD_FAILED';
  return undefined;
}

const nonEmpty = <T>(list: T[]): T[] | undefined => (list.length > 0 ? list : undefined);

function compact<T extends Record<string, unknown>>(obj: T): T {
  for (const k of Object.keys(obj)) if (obj[k] === undefined) delete obj[k];
  return obj;
}

export function loggedModelToWire(m: LoggedModel): Record<string, unknown> {
  const i = m.info;
  return {
    info: compact({
      model_id: i.model_id,
      experiment_id: i.experiment_id,
      name: i.name,
      creation_timestamp_ms: i.creation_timestamp_ms,
      last_updated_timestamp_ms: i.last_updated_timestamp_ms,
      artifact_uri: i.artifact_uri,
      status: i.status,
      creator_id: i.creator_id,
      model_type: i.model_type,
      source_run_id: i.source_run_id,
      status_message: i.status_message,
      tags: nonEmpty(i.tags),
      registrations: nonEmpty(i.registrations),
    }),
    data: compact({ params: nonEmpty(m.data.params), metrics: nonEmpty(m.data.metrics.map(metricToWire)) }),
  };
}

const { asObj, asList, str } = wireReaders;
const optStr = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : str(v));
const { kvs } = wireReaders;

export function loggedModelFromWire(raw: unknown): LoggedModel {
  const m = asObj(raw);
  const i = asObj(m['info']);
  const data = asObj(m['data']);
  const creator = int64FromWire(i['creator_id']);
  const optional = compact({
    creator_id: creator,
    model_type: optStr(i['model_type']),
    source_run_id: optStr(i['source_run_id']),
    status_message: optStr(i['status_message']),
  });
  return {
    info: {
      model_id: str(i['model_id']),
      experiment_id: str(i['experiment_id']),
      name: str(i['name']),
      creation_timestamp_ms: int64FromWire(i['creation_timestamp_ms']) ?? 0,
      last_updated_timestamp_ms: int64FromWire(i['last_updated_timestamp_ms']) ?? 0,
      artifact_uri: str(i['artifact_uri']),
      status: loggedModelStatusFromWire(i['status']) ?? 'LOGGED_MODEL_PENDING',
      ...optional,
      tags: kvs(i['tags']),
      registrations: asList(i['registrations']).map(
        (r): LoggedModelRegistration => ({ name: str(r['name']), version: str(r['version']) }),
      ),
    },
    data: { params: kvs(data['params']), metrics: asList(data['metrics']).map(metricFromWire) },
  };
}
