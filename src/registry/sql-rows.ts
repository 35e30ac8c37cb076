import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { Database, RegisteredModelsTable } from '../store/schema.js';
import type { KeyValue } from '../tracking/types.js';
import type { ModelVersion, ModelVersionStatus, RegisteredModel, Stage } from './types.js';

/** Turning registry rows into registry types, in batches (one query per table, not per row). */

export type Db = Kysely<Database> | Transaction<Database>;

export const VERSION_COLUMNS = [
  'rm.name',
  'mv.model_pk',
  'mv.version',
  'mv.creation_time',
  'mv.last_updated_time',
  'mv.description',
  'mv.user_id',
  'mv.current_stage',
  'mv.source',
  'mv.run_id',
  'mv.run_link',
  'mv.status',
  'mv.status_message',
  'mv.model_id',
] as const;

export interface VersionRecord {
  name: string;
  model_pk: number;
  version: number;
  creation_time: number;
  last_updated_time: number;
  description: string;
  user_id: string | null;
  current_stage: string;
  source: string;
  run_id: string;
  run_link: string;
  status: string;
  status_message: string | null;
  model_id: string | null;
}

/** model_versions joined with its model's name, as `mv` and `rm`. */
export function versionQuery(db: Db) {
  return db
    .selectFrom('model_versions as mv')
    .innerJoin('registered_models as rm', 'rm.model_pk', 'mv.model_pk')
    .select(VERSION_COLUMNS);
}

const versionKey = (pk: number, version: number) => `${pk}:${version}`;

/** Rows per round of loadVersions: keeps the bound parameters far below both engines' limits. */
const CHUNK = 500;

/** Versions with their tags and aliases, in two queries per 500 versions. */
export async function loadVersions(db: Db, rows: VersionRecord[]): Promise<ModelVersion[]> {
  if (rows.length === 0) return [];
  if (rows.length > CHUNK) {
    const out: ModelVersion[] = [];
    for (let i = 0; i < rows.length; i += CHUNK)
      out.push(...(await loadVersions(db, rows.slice(i, i + CHUNK))));
    return out;
  }
  const pks = [...new Set(rows.map((r) => Number(r.model_pk)))];
  const versions = [...new Set(rows.map((r) => Number(r.version)))];
  const [tags, aliases] = await Promise.all([
    db
      .selectFrom('model_version_tags')
      .select(['model_pk', 'version', 'key', 'value'])
      .where('model_pk', 'in', pks)
      .where('version', 'in', versions)
      .orderBy('key')
      .execute(),
    db
      .selectFrom('registered_model_aliases')
      .select(['model_pk', 'version', 'alias'])
      .where('model_pk', 'in', pks)
      .orderBy('alias')
      .execute(),
  ]);
  const tagsBy = group(tags, (t) => versionKey(Number(t.model_pk), Number(t.version)));
  const aliasesBy = group(aliases, (a) => versionKey(Number(a.model_pk), Number(a.version)));
  return rows.map((r) => {
    const k = versionKey(Number(r.model_pk), Number(r.version));
    return {
      name: r.name,
      version: String(r.version),
      creation_timestamp: Number(r.creation_time),
      last_updated_timestamp: Number(r.last_updated_time),
      ...(r.user_id ? { user_id: r.user_id } : {}),
      current_stage: r.current_stage as Stage,
      description: r.description,
      source: r.source,
      run_id: r.run_id,
      status: r.status as ModelVersionStatus,
      ...(r.status_message ? { status_message: r.status_message } : {}),
      tags: (tagsBy.get(k) ?? []).map(kv),
      run_link: r.run_link,
      aliases: (aliasesBy.get(k) ?? []).map((a) => a.alias),
      ...(r.model_id ? { model_id: r.model_id } : {}),
    };
  });
}

/** Models with their tags, aliases and latest version per stage, in four queries. */
export async function loadModels(
  db: Db,
  rows: Selectable<RegisteredModelsTable>[],
): Promise<RegisteredModel[]> {
  if (rows.length === 0) return [];
  const pks = rows.map((r) => Number(r.model_pk));
  const [tags, aliases, latestRows] = await Promise.all([
    db
      .selectFrom('registered_model_tags')
      .select(['model_pk', 'key', 'value'])
      .where('model_pk', 'in', pks)
      .orderBy('key')
      .execute(),
    db
      .selectFrom('registered_model_aliases')
      .select(['model_pk', 'alias', 'version'])
      .where('model_pk', 'in', pks)
      .orderBy('alias')
      .execute(),
    versionQuery(db)
      .where('mv.model_pk', 'in', pks)
      .where(
        sql<boolean>`mv.version = (SELECT MAX(x.version) FROM model_versions AS x
          WHERE x.model_pk = mv.model_pk AND x.current_stage = mv.current_stage)`,
      )
      .orderBy('mv.version')
      .execute(),
  ]);
  const latest = await loadVersions(db, latestRows as VersionRecord[]);
  const latestBy = group(latest, (_v, i) => Number(latestRows[i]!.model_pk));
  const tagsBy = group(tags, (t) => Number(t.model_pk));
  const aliasesBy = group(aliases, (a) => Number(a.model_pk));
  return rows.map((r) => {
    const pk = Number(r.model_pk);
    return {
      name: r.name,
      creation_timestamp: Number(r.creation_time),
      last_updated_timestamp: Number(r.last_updated_time),
      description: r.description,
      latest_versions: latestBy.get(pk) ?? [],
      tags: (tagsBy.get(pk) ?? []).map(kv),
      aliases: (aliasesBy.get(pk) ?? []).map((a) => ({ alias: a.alias, version: String(a.version) })),
    };
  });
}

function kv(t: { key: string; value: string }): KeyValue {
  return { key: t.key, value: t.value };
}

function group<T, K>(items: readonly T[], key: (t: T, i: number) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  items.forEach((item, i) => {
    const k = key(item, i);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  });
  return out;
}
