import { type Kysely, type RawBuilder, type SqlBool, sql, type Transaction } from 'kysely';
import type { MetadataDb } from '../store/db.js';
import { EventLog } from '../store/events.js';
import type { Database } from '../store/schema.js';
import { decodePageToken, encodePageToken } from '../tracking/errors.js';
import type { KeyValue, Page } from '../tracking/types.js';
import { registryErrors } from './errors.js';
import { type Db, loadModels, loadVersions, type VersionRecord, versionQuery } from './sql-rows.js';
import { registryConditions, registryOrder } from './sql-search.js';
import {
  dropAlias,
  insertVersion,
  modelPk,
  moveStage,
  type PendingEvent,
  pointAlias,
  removeModel,
  removeVersion,
  uniqueAs,
  versionRow,
} from './sql-writes.js';
import type { NewModelVersion, NewRegisteredModel, RegistrySearch, RegistryStore } from './store.js';
import { type ModelVersion, REGISTRY_EVENTS, type RegisteredModel, type Stage } from './types.js';

type Trx = Transaction<Database>;

export interface SqlRegistryStoreOptions {
  /** Where changes are recorded; default the handle's shared log (EventLog.for). */
  events?: EventLog;
  /** Close the handle on close() (default false: the handle is shared with other domains). */
  ownsHandle?: boolean;
}

/**
 * The registry port over SQL (Kysely), for PostgreSQL and SQLite alike. Every change runs in one
 * transaction with the events that record it; version numbers come from a per-model counter
 * bumped by a single UPDATE, so concurrent creations never collide.
 */
export class SqlRegistryStore implements RegistryStore {
  readonly remote = false;
  protected readonly db: Kysely<Database>;
  private readonly events: EventLog;

  constructor(
    protected readonly handle: MetadataDb,
    private readonly options: SqlRegistryStoreOptions = {},
  ) {
    this.db = handle.db;
    this.events = options.events ?? EventLog.for(handle);
  }

  createRegisteredModel(input: NewRegisteredModel): Promise<RegisteredModel> {
    return this.change(async (trx) => {
      const row = await trx
        .insertInto('registered_models')
        .values({
          name: input.name,
          description: input.description,
          creation_time: input.time,
          last_updated_time: input.time,
          last_version: 0,
        })
        .returning('model_pk')
        .executeTakeFirstOrThrow()
        .catch(uniqueAs(() => registryErrors.modelExists(input.name)));
      if (input.tags.length > 0) {
        await trx
          .insertInto('registered_model_tags')
          .values(input.tags.map((t) => ({ model_pk: Number(row.model_pk), key: t.key, value: t.value })))
          .execute();
      }
      return { value: (await this.model(trx, input.name))! };
    });
  }

  getRegisteredModel(name: string): Promise<RegisteredModel | undefined> {
    return this.model(this.db, name);
  }

  renameRegisteredModel(name: string, newName: string, time: number): Promise<RegisteredModel> {
    return this.change(async (trx) => {
      const pk = await modelPk(trx, name);
      if (newName === name) return { value: (await this.model(trx, name))! };
      await trx
        .updateTable('registered_models')
        .set({ name: newName, last_updated_time: time })
        .where('model_pk', '=', pk)
        .execute()
        .catch(uniqueAs(() => registryErrors.modelExists(newName)));
      await trx
        .updateTable('model_versions')
        .set({ last_updated_time: time })
        .where('model_pk', '=', pk)
        .execute();
      return {
        value: (await this.model(trx, newName))!,
        events: [{ type: REGISTRY_EVENTS.renamed, payload: { name: newName, from: name, to: newName } }],
      };
    });
  }

  updateRegisteredModel(name: string, description: string, time: number): Promise<RegisteredModel> {
    return this.change(async (trx) => {
      await trx
        .updateTable('registered_models')
        .set({ description, last_updated_time: time })
        .where('model_pk', '=', await modelPk(trx, name))
        .execute();
      return { value: (await this.model(trx, name))! };
    });
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    await this.change(async (trx) => ({ value: undefined, events: await removeModel(trx, name) }));
  }

  async searchRegisteredModels(q: RegistrySearch): Promise<Page<RegisteredModel>> {
    const offset = decodePageToken(q.pageToken);
    let qb = this.db.selectFrom('registered_models as rm').selectAll('rm');
    if (q.visible && 'only' in q.visible && q.visible.only.length === 0) return page([], undefined);
    for (const c of visibleModels(q)) qb = qb.where(c);
    for (const c of registryConditions('models', q.filter, this.handle.dialect)) qb = qb.where(c);
    for (const o of registryOrder('models', q.orderBy, this.handle.dialect)) qb = qb.orderBy(o);
    const rows = await qb
      .limit(q.maxResults + 1)
      .offset(offset)
      .execute();
    const models = await loadModels(this.db, rows.slice(0, q.maxResults));
    return page(models, rows.length > q.maxResults ? offset + q.maxResults : undefined);
  }

  async setRegisteredModelTags(name: string, tags: KeyValue[]): Promise<void> {
    await this.change(async (trx) => {
      const pk = await modelPk(trx, name);
      if (tags.length === 0) return { value: undefined };
      await trx
        .insertInto('registered_model_tags')
        .values(tags.map((t) => ({ model_pk: pk, key: t.key, value: t.value })))
        .onConflict((oc) =>
          oc.columns(['model_pk', 'key']).doUpdateSet({ value: (eb) => eb.ref('excluded.value') }),
        )
        .execute();
      return { value: undefined };
    });
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    await this.change(async (trx) => {
      const pk = await modelPk(trx, name);
      await trx
        .deleteFrom('registered_model_tags')
        .where('model_pk', '=', pk)
        .where('key', '=', key)
        .execute();
      return { value: undefined };
    });
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.change(async (trx) => ({
      value: undefined,
      events: await pointAlias(trx, name, alias, version),
    }));
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.change(async (trx) => ({ value: undefined, events: await dropAlias(trx, name, alias) }));
  }

  async getVersionByAlias(name: string, alias: string): Promise<ModelVersion | undefined> {
    const row = await this.db
      .selectFrom('registered_model_aliases as a')
      .innerJoin('registered_models as rm', 'rm.model_pk', 'a.model_pk')
      .select('a.version')
      .where('rm.name', '=', name)
      .where('a.alias', '=', alias)
      .executeTakeFirst();
    return row ? this.version(this.db, name, Number(row.version)) : undefined;
  }

  async getLatestVersions(name: string, stages: readonly Stage[]): Promise<ModelVersion[]> {
    const pk = await modelPk(this.db, name);
    let qb = versionQuery(this.db)
      .where('mv.model_pk', '=', pk)
      .where((eb) =>
        eb(
          'mv.version',
          '=',
          eb
            .selectFrom('model_versions as x')
            .select((x) => x.fn.max('x.version').as('v'))
            .whereRef('x.model_pk', '=', 'mv.model_pk')
            .whereRef('x.current_stage', '=', 'mv.current_stage'),
        ),
      );
    if (stages.length > 0) qb = qb.where('mv.current_stage', 'in', [...stages]);
    return loadVersions(this.db, (await qb.orderBy('mv.version').execute()) as VersionRecord[]);
  }

  createModelVersion(input: NewModelVersion): Promise<ModelVersion> {
    return this.change(async (trx) => {
      const { version, events } = await insertVersion(trx, input);
      return { value: (await this.version(trx, input.name, version))!, events };
    });
  }

  getModelVersion(name: string, version: string): Promise<ModelVersion | undefined> {
    return this.version(this.db, name, Number(version));
  }

  updateModelVersion(
    name: string,
    version: string,
    description: string,
    time: number,
  ): Promise<ModelVersion> {
    return this.change(async (trx) => {
      const { pk } = await versionRow(trx, name, version);
      await trx
        .updateTable('model_versions')
        .set({ description, last_updated_time: time })
        .where('model_pk', '=', pk)
        .where('version', '=', Number(version))
        .execute();
      return { value: (await this.version(trx, name, Number(version)))! };
    });
  }

  transitionStage(
    name: string,
    version: string,
    stage: Stage,
    archiveExisting: boolean,
    time: number,
  ): Promise<ModelVersion> {
    return this.change(async (trx) => {
      const events = await moveStage(trx, name, version, stage, archiveExisting, time);
      return { value: (await this.version(trx, name, Number(version)))!, events };
    });
  }

  async deleteModelVersion(name: string, version: string, time: number): Promise<void> {
    await this.change(async (trx) => ({
      value: undefined,
      events: await removeVersion(trx, name, version, time),
    }));
  }

  async searchModelVersions(q: RegistrySearch): Promise<Page<ModelVersion>> {
    const offset = decodePageToken(q.pageToken);
    let qb = versionQuery(this.db);
    if (q.visible && 'only' in q.visible && q.visible.only.length === 0) return page([], undefined);
    for (const c of visibleModels(q)) qb = qb.where(c);
    for (const c of registryConditions('versions', q.filter, this.handle.dialect)) qb = qb.where(c);
    for (const o of registryOrder('versions', q.orderBy, this.handle.dialect)) qb = qb.orderBy(o);
    const rows = (await qb
      .limit(q.maxResults + 1)
      .offset(offset)
      .execute()) as VersionRecord[];
    const versions = await loadVersions(this.db, rows.slice(0, q.maxResults));
    return page(versions, rows.length > q.maxResults ? offset + q.maxResults : undefined);
  }

  async setModelVersionTags(name: string, version: string, tags: KeyValue[]): Promise<void> {
    await this.change(async (trx) => {
      const { pk } = await versionRow(trx, name, version);
      if (tags.length === 0) return { value: undefined };
      await trx
        .insertInto('model_version_tags')
        .values(tags.map((t) => ({ model_pk: pk, version: Number(version), key: t.key, value: t.value })))
        .onConflict((oc) =>
          oc.columns(['model_pk', 'version', 'key']).doUpdateSet({ value: (eb) => eb.ref('excluded.value') }),
        )
        .execute();
      return { value: undefined };
    });
  }

  async deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    await this.change(async (trx) => {
      const { pk } = await versionRow(trx, name, version);
      await trx
        .deleteFrom('model_version_tags')
        .where('model_pk', '=', pk)
        .where('version', '=', Number(version))
        .where('key', '=', key)
        .execute();
      return { value: undefined };
    });
  }

  async getDownloadUri(name: string, version: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('model_versions as mv')
      .innerJoin('registered_models as rm', 'rm.model_pk', 'mv.model_pk')
      .select(['mv.source', 'mv.storage_location'])
      .where('rm.name', '=', name)
      .where('mv.version', '=', Number(version))
      .executeTakeFirst();
    return row ? (row.storage_location ?? row.source) : undefined;
  }

  async close(): Promise<void> {
    if (this.options.ownsHandle) await this.handle.close();
  }

  private async model(db: Db, name: string): Promise<RegisteredModel | undefined> {
    const row = await db
      .selectFrom('registered_models')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? (await loadModels(db, [row]))[0] : undefined;
  }

  private async version(db: Db, name: string, version: number): Promise<ModelVersion | undefined> {
    const row = await versionQuery(db)
      .where('rm.name', '=', name)
      .where('mv.version', '=', version)
      .executeTakeFirst();
    return row ? (await loadVersions(db, [row as VersionRecord]))[0] : undefined;
  }

  /**
   * One change in one transaction: its writes, then its events (appended last, so PostgreSQL's
   * event-order lock is held only from there to the commit). SQLite's busy answers, when another
   * connection writes, are retried.
   */
  private async change<T>(fn: (trx: Trx) => Promise<{ value: T; events?: PendingEvent[] }>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.events.transaction(async (trx) => {
          const { value, events = [] } = await fn(trx);
          for (const e of events)
            await this.events.append(trx, { type: e.type, subject: e.payload.name, payload: e.payload });
          return value;
        });
      } catch (e) {
        const code = (e as { code?: unknown })?.code;
        if (attempt >= 5 || typeof code !== 'string' || !code.startsWith('SQLITE_BUSY')) throw e;
        await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt));
      }
    }
  }
}

function page<T>(items: T[], nextOffset: number | undefined): Page<T> {
  return nextOffset === undefined ? { items } : { items, nextPageToken: encodePageToken(nextOffset) };
}

/** The caller's permissions as a condition on `rm.name` (names travel as bound parameters). */
function visibleModels(q: RegistrySearch): RawBuilder<SqlBool>[] {
  if (!q.visible) return [];
  const names = 'only' in q.visible ? q.visible.only : q.visible.except;
  if (names.length === 0) return [];
  const list = sql.join(names.map((n) => sql`${n}`));
  return 'only' in q.visible
    ? [sql<SqlBool>`rm.name IN (${list})`]
    : [sql<SqlBool>`rm.name NOT IN (${list})`];
}
