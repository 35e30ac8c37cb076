import type { Kysely, Selectable, Transaction } from 'kysely';
import { newHexId } from '../core/ids.js';
import type { MetadataDb } from '../store/db.js';
import type { Database, LoggedModelsTable } from '../store/schema.js';
import { decodePageToken, encodePageToken, trackingErrors } from './errors.js';
import { applyLoggedModelFilter, applyLoggedModelOrder, storedStatus } from './logged-models-sql-search.js';
import type { LoggedModelSearch, LoggedModelStore, NewLoggedModel } from './logged-models-store.js';
import type { LoggedModel, LoggedModelStatus } from './logged-models-types.js';
import { loggedModelErrors } from './logged-models-validate.js';
import type { KeyValue, ModelOutput, Page } from './types.js';

type Db = Kysely<Database> | Transaction<Database>;
type Row = Selectable<LoggedModelsTable>;

/**
 * The logged-model port over SQL (Kysely), for PostgreSQL and SQLite alike. It shares the
 * tracking store's database handle (one connection for SQLite, so no two connections of one
 * process wait on each other's write lock) and does not close it.
 */
export class SqlLoggedModelStore implements LoggedModelStore {
  private readonly db: Kysely<Database>;

  constructor(private readonly handle: MetadataDb) {
    this.db = handle.db;
  }

  async createLoggedModel(input: NewLoggedModel): Promise<LoggedModel> {
    const experimentId = toIntId(input.experimentId);
    if (experimentId === undefined) throw trackingErrors.experimentNotFound(input.experimentId);
    const modelId = `m-${newHexId()}`;
    await this.db.transaction().execute(async (trx) => {
      const exp = await trx
        .selectFrom('experiments')
        .select(['artifact_location', 'lifecycle_stage'])
        .where('experiment_id', '=', experimentId)
        .executeTakeFirst();
      if (!exp) throw trackingErrors.experimentNotFound(input.experimentId);
      if (exp.lifecycle_stage !== 'active') throw loggedModelErrors.experimentNotActive(input.experimentId);
      await trx
        .insertInto('logged_models')
        .values({
          model_id: modelId,
          experiment_id: experimentId,
          name: input.name,
          artifact_uri: `${exp.artifact_location.replace(/\/+$/, '')}/models/${modelId}/artifacts`,
          creation_timestamp_ms: input.time,
          last_updated_timestamp_ms: input.time,
          status: 'PENDING',
          status_message: null,
          model_type: input.modelType ?? null,
          source_run_id: input.sourceRunId ?? null,
          lifecycle_stage: 'active',
        })
        .execute();
      await insertKeyValues(trx, 'logged_model_params', modelId, input.params);
      await insertKeyValues(trx, 'logged_model_tags', modelId, input.tags);
    });
    return (await this.getLoggedModel(modelId))!;
  }

  async getLoggedModel(modelId: string): Promise<LoggedModel | undefined> {
    const row = await this.db
      .selectFrom('logged_models')
      .selectAll()
      .where('model_id', '=', modelId)
      .where('lifecycle_stage', '=', 'active')
      .executeTakeFirst();
    return row ? (await loadLoggedModels(this.db, [row]))[0] : undefined;
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus, time: number): Promise<void> {
    await this.update(modelId, { status: storedStatus(status), last_updated_timestamp_ms: time });
  }

  async deleteLoggedModel(modelId: string, time: number): Promise<void> {
    await this.update(modelId, { lifecycle_stage: 'deleted', last_updated_timestamp_ms: time });
  }

  async setLoggedModelTags(modelId: string, tags: KeyValue[], time: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await touch(trx, modelId, time);
      if (tags.length === 0) return;
      await trx
        .insertInto('logged_model_tags')
        .values(tags.map((t) => ({ model_id: modelId, key: t.key, value: t.value })))
        .onConflict((oc) =>
          oc.columns(['model_id', 'key']).doUpdateSet({ value: (eb) => eb.ref('excluded.value') }),
        )
        .execute();
    });
  }

  async deleteLoggedModelTag(modelId: string, key: string, time: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await touch(trx, modelId, time);
      await trx
        .deleteFrom('logged_model_tags')
        .where('model_id', '=', modelId)
        .where('key', '=', key)
        .execute();
    });
  }

  async logLoggedModelParams(modelId: string, params: KeyValue[], time: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await touch(trx, modelId, time);
      if (params.length === 0) return;
      await trx
        .insertInto('logged_model_params')
        .values(params.map((p) => ({ model_id: modelId, key: p.key, value: p.value })))
        .onConflict((oc) => oc.columns(['model_id', 'key']).doNothing())
        .execute();
      // Read back: a key logged before (or concurrently) with another value is a conflict.
      const stored = await trx
        .selectFrom('logged_model_params')
        .select(['key', 'value'])
        .where('model_id', '=', modelId)
        .where(
          'key',
          'in',
          params.map((p) => p.key),
        )
        .execute();
      const byKey = new Map(stored.map((s) => [s.key, s.value]));
      for (const p of params) {
        const old = byKey.get(p.key);
        if (old !== undefined && old !== p.value)
          throw loggedModelErrors.paramConflict(modelId, p.key, old, p.value);
      }
    });
  }

  async searchLoggedModels(q: LoggedModelSearch): Promise<Page<LoggedModel>> {
    const offset = decodePageToken(q.pageToken);
    const expIds = q.experimentIds.map(toIntId).filter((x): x is number => x !== undefined);
    if (expIds.length === 0) return { items: [] };
    let qb = this.db
      .selectFrom('logged_models')
      .selectAll('logged_models')
      .where('logged_models.experiment_id', 'in', expIds)
      .where('logged_models.lifecycle_stage', '=', 'active');
    qb = applyLoggedModelFilter(qb, q.filter, this.handle.dialect);
    qb = applyLoggedModelOrder(qb, q.orderBy, this.handle.dialect);
    const rows = await qb
      .limit(q.maxResults + 1)
      .offset(offset)
      .execute();
    const items = await loadLoggedModels(this.db, rows.slice(0, q.maxResults));
    return rows.length > q.maxResults
      ? { items, nextPageToken: encodePageToken(offset + q.maxResults) }
      : { items };
  }

  async logOutputs(runId: string, outputs: ModelOutput[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const run = await trx
        .selectFrom('runs')
        .select(['run_pk', 'lifecycle_stage'])
        .where('run_uuid', '=', runId)
        .executeTakeFirst();
      if (!run) throw trackingErrors.runNotFound(runId);
      if (run.lifecycle_stage !== 'active') throw trackingErrors.runNotActive(runId, run.lifecycle_stage);
      if (outputs.length === 0) return;
      const ids = [...new Set(outputs.map((o) => o.model_id))];
      const found = await trx
        .selectFrom('logged_models')
        .select('model_id')
        .where('model_id', 'in', ids)
        .where('lifecycle_stage', '=', 'active')
        .execute();
      const known = new Set(found.map((f) => f.model_id));
      const missing = ids.find((id) => !known.has(id));
      if (missing !== undefined) throw loggedModelErrors.notFound(missing);
      await trx
        .insertInto('run_outputs')
        .values(outputs.map((o) => ({ run_pk: Number(run.run_pk), model_id: o.model_id, step: o.step })))
        .onConflict((oc) => oc.doNothing())
        .execute();
    });
  }

  private async update(
    modelId: string,
    set: Partial<Pick<Row, 'status' | 'lifecycle_stage' | 'last_updated_timestamp_ms'>>,
  ): Promise<void> {
    const res = await this.db
      .updateTable('logged_models')
      .set(set)
      .where('model_id', '=', modelId)
      .where('lifecycle_stage', '=', 'active')
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw loggedModelErrors.notFound(modelId);
  }
}

/** Marks an active model as updated at `time`; throws RESOURCE_DOES_NOT_EXIST for any other id. */
async function touch(db: Db, modelId: string, time: number): Promise<void> {
  const res = await db
    .updateTable('logged_models')
    .set({ last_updated_timestamp_ms: time })
    .where('model_id', '=', modelId)
    .where('lifecycle_stage', '=', 'active')
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw loggedModelErrors.notFound(modelId);
}

async function insertKeyValues(
  db: Db,
  table: 'logged_model_params' | 'logged_model_tags',
  modelId: string,
  items: KeyValue[],
): Promise<void> {
  if (items.length === 0) return;
  await db
    .insertInto(table)
    .values(items.map((kv) => ({ model_id: modelId, key: kv.key, value: kv.value })))
    .execute();
}

/** Tags and params of many models, in two queries. */
async function loadLoggedModels(db: Db, rows: Row[]): Promise<LoggedModel[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.model_id);
  const [params, tags] = await Promise.all(
    (['logged_model_params', 'logged_model_tags'] as const).map((table) =>
      db
        .selectFrom(table)
        .select(['model_id', 'key', 'value'])
        .where('model_id', 'in', ids)
        .orderBy('key')
        .execute(),
    ),
  );
  const group = (list: { model_id: string; key: string; value: string }[] = []) => {
    const out = new Map<string, KeyValue[]>();
    for (const { model_id, key, value } of list) {
      const kv = out.get(model_id);
      if (kv) kv.push({ key, value });
      else out.set(model_id, [{ key, value }]);
    }
    return out;
  };
  const paramsBy = group(params);
  const tagsBy = group(tags);
  return rows.map((r) => ({
    info: {
      model_id: r.model_id,
      experiment_id: String(r.experiment_id),
      name: r.name,
      creation_timestamp_ms: Number(r.creation_timestamp_ms),
      last_updated_timestamp_ms: Number(r.last_updated_timestamp_ms),
      artifact_uri: r.artifact_uri,
      status: `LOGGED_MODEL_${r.status === 'FAILED' ? 'UPLOAD_FAILED' : r.status}` as LoggedModelStatus,
      ...(r.model_type !== null ? { model_type: r.model_type } : {}),
      ...(r.source_run_id !== null ? { source_run_id: r.source_run_id } : {}),
      ...(r.status_message !== null ? { status_message: r.status_message } : {}),
      tags: tagsBy.get(r.model_id) ?? [],
      registrations: [],
    },
    data: { params: paramsBy.get(r.model_id) ?? [], metrics: [] },
  }));
}

function toIntId(id: string): number | undefined {
  return /^\d{1,15}$/.test(id) ? Number(id) : undefined;
}
