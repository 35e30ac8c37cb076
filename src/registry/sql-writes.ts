/**
 * The registry's multi-statement changes, each run inside the caller's transaction. A change
 * returns the events it causes; the store appends them after the change's writes, in the same
 * transaction (see src/store/events.ts for why the order matters).
 */
import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import { registryErrors } from './errors.js';
import type { Db } from './sql-rows.js';
import type { NewModelVersion } from './store.js';
import { REGISTRY_EVENTS, type RegistryEventPayload, type Stage } from './types.js';

type Trx = Transaction<Database>;

export interface PendingEvent {
  type: string;
  payload: RegistryEventPayload;
}

export async function modelPk(db: Db, name: string): Promise<number> {
  const row = await db
    .selectFrom('registered_models')
    .select('model_pk')
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw registryErrors.modelNotFound(name);
  return Number(row.model_pk);
}

export async function versionRow(
  db: Db,
  name: string,
  version: string,
): Promise<{ pk: number; stage: Stage }> {
  const row = await db
    .selectFrom('model_versions as mv')
    .innerJoin('registered_models as rm', 'rm.model_pk', 'mv.model_pk')
    .select(['mv.model_pk', 'mv.current_stage'])
    .where('rm.name', '=', name)
    .where('mv.version', '=', Number(version))
    .executeTakeFirst();
  if (!row) {
    await modelPk(db, name);
    throw registryErrors.versionNotFound(name, version);
  }
  return { pk: Number(row.model_pk), stage: row.current_stage as Stage };
}

export async function aliasTarget(db: Db, pk: number, alias: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('registered_model_aliases')
    .select('version')
    .where('model_pk', '=', pk)
    .where('alias', '=', alias)
    .executeTakeFirst();
  return row ? Number(row.version) : undefined;
}

/** Rethrows a unique-constraint violation (either engine) as `error()`. */
export function uniqueAs(error: () => Error) {
  return (e: unknown): never => {
    const code = (e as { code?: string })?.code;
    if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
      throw error();
    throw e;
  };
}

/** Inserts the next version of the model: one UPDATE both checks the model and bumps its counter. */
export async function insertVersion(
  trx: Trx,
  input: NewModelVersion,
): Promise<{ version: number; events: PendingEvent[] }> {
  const counter = await trx
    .updateTable('registered_models')
    .set((eb) => ({ last_version: eb('last_version', '+', 1), last_updated_time: input.time }))
    .where('name', '=', input.name)
    .returning(['model_pk', 'last_version'])
    .executeTakeFirst();
  if (!counter) throw registryErrors.modelNotFound(input.name);
  const pk = Number(counter.model_pk);
  const version = Number(counter.last_version);
  await trx
    .insertInto('model_versions')
    .values({
      model_pk: pk,
      version,
      creation_time: input.time,
      last_updated_time: input.time,
      description: input.description,
      user_id: input.userId ?? null,
      current_stage: 'None',
      source: input.source,
      storage_location: input.storageLocation ?? null,
      run_id: input.runId,
      run_link: input.runLink,
      status: 'READY',
      status_message: null,
      model_id: input.modelId ?? null,
    })
    .execute();
  if (input.tags.length > 0) {
    await trx
      .insertInto('model_version_tags')
      .values(input.tags.map((t) => ({ model_pk: pk, version, key: t.key, value: t.value })))
      .execute();
  }
  return {
    version,
    events: [
      { type: REGISTRY_EVENTS.versionCreated, payload: { name: input.name, version: String(version) } },
    ],
  };
}

/** Moves a version to `stage`; with `archiveExisting`, the model's other versions there go to Archived. */
export async function moveStage(
  trx: Trx,
  name: string,
  version: string,
  stage: Stage,
  archiveExisting: boolean,
  time: number,
): Promise<PendingEvent[]> {
  const { pk, stage: from } = await versionRow(trx, name, version);
  const n = Number(version);
  const archived = archiveExisting
    ? (
        await trx
          .selectFrom('model_versions')
          .select('version')
          .where('model_pk', '=', pk)
          .where('version', '!=', n)
          .where('current_stage', '=', stage)
          .orderBy('version')
          .execute()
      ).map((a) => Number(a.version))
    : [];
  if (archived.length > 0) {
    await trx
      .updateTable('model_versions')
      .set({ current_stage: 'Archived', last_updated_time: time })
      .where('model_pk', '=', pk)
      .where('version', 'in', archived)
      .execute();
  }
  await trx
    .updateTable('model_versions')
    .set({ current_stage: stage, last_updated_time: time })
    .where('model_pk', '=', pk)
    .where('version', '=', n)
    .execute();
  await trx
    .updateTable('registered_models')
    .set({ last_updated_time: time })
    .where('model_pk', '=', pk)
    .execute();
  // The promotion first, then what it archived: a follower never sees the stage empty.
  const events: PendingEvent[] = [];
  if (from !== stage)
    events.push({ type: REGISTRY_EVENTS.stageChanged, payload: { name, version, from, to: stage } });
  for (const v of archived) {
    events.push({
      type: REGISTRY_EVENTS.stageChanged,
      payload: { name, version: String(v), from: stage, to: 'Archived' },
    });
  }
  return events;
}

/** Deletes a version with its tags and the aliases that point at it (each alias removal is an event). */
export async function removeVersion(
  trx: Trx,
  name: string,
  version: string,
  time: number,
): Promise<PendingEvent[]> {
  const { pk } = await versionRow(trx, name, version);
  const n = Number(version);
  const aliases = await trx
    .selectFrom('registered_model_aliases')
    .select('alias')
    .where('model_pk', '=', pk)
    .where('version', '=', n)
    .orderBy('alias')
    .execute();
  await trx
    .deleteFrom('registered_model_aliases')
    .where('model_pk', '=', pk)
    .where('version', '=', n)
    .execute();
  await trx.deleteFrom('model_version_tags').where('model_pk', '=', pk).where('version', '=', n).execute();
  await trx.deleteFrom('model_versions').where('model_pk', '=', pk).where('version', '=', n).execute();
  await trx
    .updateTable('registered_models')
    .set({ last_updated_time: time })
    .where('model_pk', '=', pk)
    .execute();
  return [
    ...aliases.map(({ alias }) => ({
      type: REGISTRY_EVENTS.aliasDeleted,
      payload: { name, version, alias },
    })),
    { type: REGISTRY_EVENTS.versionDeleted, payload: { name, version } },
  ];
}

/** Deletes a model with everything under it. */
export async function removeModel(trx: Trx, name: string): Promise<PendingEvent[]> {
  const pk = await modelPk(trx, name);
  await trx.deleteFrom('registered_model_aliases').where('model_pk', '=', pk).execute();
  await trx.deleteFrom('model_version_tags').where('model_pk', '=', pk).execute();
  await trx.deleteFrom('model_versions').where('model_pk', '=', pk).execute();
  await trx.deleteFrom('registered_model_tags').where('model_pk', '=', pk).execute();
  await trx.deleteFrom('registered_models').where('model_pk', '=', pk).execute();
  return [{ type: REGISTRY_EVENTS.modelDeleted, payload: { name } }];
}

/** Points an alias at a version; nothing happens (and no event) if it already points there. */
export async function pointAlias(
  trx: Trx,
  name: string,
  alias: string,
  version: string,
): Promise<PendingEvent[]> {
  const { pk } = await versionRow(trx, name, version);
  const prior = await aliasTarget(trx, pk, alias);
  if (prior === Number(version)) return [];
  await trx
    .insertInto('registered_model_aliases')
    .values({ model_pk: pk, alias, version: Number(version) })
    .onConflict((oc) => oc.columns(['model_pk', 'alias']).doUpdateSet({ version: Number(version) }))
    .execute();
  const from = prior !== undefined ? { from: String(prior) } : {};
  return [{ type: REGISTRY_EVENTS.aliasSet, payload: { name, version, alias, ...from, to: version } }];
}

/** Removes an alias; an alias that is not set is no change. */
export async function dropAlias(trx: Trx, name: string, alias: string): Promise<PendingEvent[]> {
  const pk = await modelPk(trx, name);
  const prior = await aliasTarget(trx, pk, alias);
  if (prior === undefined) return [];
  await trx
    .deleteFrom('registered_model_aliases')
    .where('model_pk', '=', pk)
    .where('alias', '=', alias)
    .execute();
  return [{ type: REGISTRY_EVENTS.aliasDeleted, payload: { name, version: String(prior), alias } }];
}
