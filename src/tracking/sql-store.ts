import { type Kysely, sql, type Transaction } from 'kysely';
import { newHexId } from '../core/ids.js';
import type { MetadataDb } from '../store/db.js';
import type { Database } from '../store/schema.js';
import { decodePageToken, encodePageToken, trackingErrors } from './errors.js';
import { latestPerKey, loadExperiments, loadRuns, RUN_COLUMNS, type RunRecord } from './sql-rows.js';
import { searchRunRows } from './sql-run-search.js';
import { applyExperimentFilter, applyExperimentOrder } from './sql-search.js';
import type {
  ExperimentSearch,
  HistoryQuery,
  NewExperiment,
  NewRun,
  RunPatch,
  RunSearch,
  TrackingStore,
} from './store.js';
import type {
  DatasetInput,
  Experiment,
  KeyValue,
  LifecycleStage,
  Metric,
  Page,
  Run,
  RunBatch,
  ViewType,
} from './types.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The tracking port over SQL (Kysely), for PostgreSQL and SQLite alike. SqliteTrackingStore
 * specialises the write hot path for SQLite; everything else is shared.
 */
export class SqlTrackingStore implements TrackingStore {
  protected readonly db: Kysely<Database>;

  constructor(protected readonly handle: MetadataDb) {
    this.db = handle.db;
  }

  async createExperiment(input: NewExperiment): Promise<string> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('experiments')
        .values({
          name: input.name,
          artifact_location: input.artifactLocation ?? '',
          lifecycle_stage: 'active',
          creation_time: input.time,
          last_update_time: input.time,
        })
        .returning('experiment_id')
        .executeTakeFirstOrThrow()
        .catch((e: unknown) => {
          if (isUniqueViolation(e)) throw trackingErrors.experimentExists(input.name);
          throw e;
        });
      const id = Number(row.experiment_id);
      if (input.artifactLocation === undefined) {
        await trx
          .updateTable('experiments')
          .set({ artifact_location: `mlflow-artifacts:/${id}` })
          .where('experiment_id', '=', id)
          .execute();
      }
      if (input.tags.length > 0) {
        await trx
          .insertInto('experiment_tags')
          .values(input.tags.map((t) => ({ experiment_id: id, key: t.key, value: t.value })))
          .execute();
      }
      return String(id);
    });
  }

  async getExperiment(experimentId: string): Promise<Experiment | undefined> {
    const id = toIntId(experimentId);
    if (id === undefined) return undefined;
    const row = await this.db
      .selectFrom('experiments')
      .selectAll()
      .where('experiment_id', '=', id)
      .executeTakeFirst();
    return row ? (await loadExperiments(this.db, [row]))[0] : undefined;
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    const row = await this.db
      .selectFrom('experiments')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? (await loadExperiments(this.db, [row]))[0] : undefined;
  }

  async searchExperiments(q: ExperimentSearch): Promise<Page<Experiment>> {
    const offset = decodePageToken(q.pageToken);
    let qb = this.db.selectFrom('experiments').selectAll('experiments');
    qb = applyLifecycle(qb, 'experiments.lifecycle_stage', q.viewType);
    qb = applyExperimentFilter(qb, q.filter, this.handle.dialect);
    if (q.visible) {
      const ids = ('only' in q.visible ? q.visible.only : q.visible.except)
        .map(toIntId)
        .filter((x): x is number => x !== undefined);
      if ('only' in q.visible) {
        if (ids.length === 0) return { items: [] };
        qb = qb.where('experiments.experiment_id', 'in', ids);
      } else if (ids.length > 0) qb = qb.where('experiments.experiment_id', 'not in', ids);
    }
    qb = applyExperimentOrder(qb, q.orderBy, this.handle.dialect);
    const rows = await qb
      .limit(q.maxResults + 1)
      .offset(offset)
      .execute();
    const page = rows.slice(0, q.maxResults);
    return withToken(
      await loadExperiments(this.db, page),
      rows.length > q.maxResults ? offset + q.maxResults : undefined,
    );
  }

  async renameExperiment(experimentId: string, newName: string, time: number): Promise<void> {
    await this.db
      .updateTable('experiments')
      .set({ name: newName, last_update_time: time })
      .where('experiment_id', '=', Number(experimentId))
      .execute()
      .catch((e: unknown) => {
        if (isUniqueViolation(e)) throw trackingErrors.experimentExists(newName);
        throw e;
      });
  }

  /** Deleting an experiment deletes its runs; restoring it restores them (as MLflow does). */
  async setExperimentLifecycle(experimentId: string, stage: LifecycleStage, time: number): Promise<void> {
    const id = Number(experimentId);
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('experiments')
        .set({ lifecycle_stage: stage, last_update_time: time })
        .where('experiment_id', '=', id)
        .execute();
      await trx
        .updateTable('runs')
        .set({ lifecycle_stage: stage, deleted_time: stage === 'deleted' ? time : null })
        .where('experiment_id', '=', id)
        .where('lifecycle_stage', '!=', stage)
        .execute();
    });
  }

  async setExperimentTags(experimentId: string, tags: KeyValue[]): Promise<void> {
    const id = Number(experimentId);
    await this.db
      .insertInto('experiment_tags')
      .values(tags.map((t) => ({ experiment_id: id, key: t.key, value: t.value })))
      .onConflict((oc) =>
        oc.columns(['experiment_id', 'key']).doUpdateSet({ value: (eb) => eb.ref('excluded.value') }),
      )
      .execute();
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    await this.db
      .deleteFrom('experiment_tags')
      .where('experiment_id', '=', Number(experimentId))
      .where('key', '=', key)
      .execute();
  }

  async createRun(run: NewRun): Promise<Run> {
    const exp = await this.getExperiment(run.experimentId);
    if (!exp) throw trackingErrors.experimentNotFound(run.experimentId);
    const runUuid = newHexId();
    await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('runs')
        .values({
          run_uuid: runUuid,
          experiment_id: Number(run.experimentId),
          name: run.name,
          user_id: run.userId,
          status: 'RUNNING',
          start_time: run.startTime,
          end_time: null,
          deleted_time: null,
          lifecycle_stage: 'active',
          artifact_uri: `${exp.artifact_location.replace(/\/+$/, '')}/${runUuid}/artifacts`,
        })
        .returning('run_pk')
        .executeTakeFirstOrThrow();
      if (run.tags.length > 0) {
        await trx
          .insertInto('tags')
          .values(run.tags.map((t) => ({ run_pk: Number(row.run_pk), key: t.key, value: t.value })))
          .execute();
      }
    });
    return (await this.getRun(runUuid))!;
  }

  async getRun(runId: string): Promise<Run | undefined> {
    const row = await this.db
      .selectFrom('runs')
      .select(RUN_COLUMNS)
      .where('run_uuid', '=', runId)
      .executeTakeFirst();
    return row ? (await loadRuns(this.db, [row as RunRecord]))[0] : undefined;
  }

  async updateRun(runId: string, patch: RunPatch): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const run = await findRun(trx, runId);
      if (patch.lifecycleStage === undefined && run.lifecycle_stage !== 'active')
        throw trackingErrors.runNotActive(runId, run.lifecycle_stage);
      const set: Record<string, unknown> = {};
      if (patch.status !== undefined) set['status'] = patch.status;
      if (patch.endTime !== undefined) set['end_time'] = patch.endTime;
      if (patch.name !== undefined) set['name'] = patch.name;
      if (patch.lifecycleStage !== undefined) set['lifecycle_stage'] = patch.lifecycleStage;
      if (patch.deletedTime !== undefined) set['deleted_time'] = patch.deletedTime;
      if (Object.keys(set).length > 0)
        await trx.updateTable('runs').set(set).where('run_pk', '=', run.run_pk).execute();
      if (patch.name !== undefined)
        await upsertTags(trx, run.run_pk, [{ key: 'mlflow.runName', value: patch.name }]);
    });
  }

  async logBatch(runId: string, batch: RunBatch): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const run = await findActiveRun(trx, runId);
      await insertParams(trx, run.run_pk, runId, batch.params);
      await upsertTags(trx, run.run_pk, batch.tags);
      await insertMetrics(trx, run, batch.metrics);
    });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const run = await findActiveRun(trx, runId);
      await trx.deleteFrom('tags').where('run_pk', '=', run.run_pk).where('key', '=', key).execute();
    });
  }

  async logInputs(runId: string, inputs: DatasetInput[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const run = await findActiveRun(trx, runId);
      for (const { dataset, tags } of inputs) {
        await trx
          .insertInto('datasets')
          .values({
            experiment_id: run.experiment_id,
            name: dataset.name,
            digest: dataset.digest,
            source_type: dataset.source_type,
            source: dataset.source,
            schema: dataset.schema ?? null,
            profile: dataset.profile ?? null,
          })
          .onConflict((oc) => oc.columns(['experiment_id', 'name', 'digest']).doNothing())
          .execute();
        const ds = await trx
          .selectFrom('datasets')
          .select('dataset_pk')
          .where('experiment_id', '=', run.experiment_id)
          .where('name', '=', dataset.name)
          .where('digest', '=', dataset.digest)
          .executeTakeFirstOrThrow();
        await trx
          .insertInto('run_inputs')
          .values({ run_pk: run.run_pk, dataset_pk: Number(ds.dataset_pk), tags: JSON.stringify(tags) })
          .onConflict((oc) =>
            oc.columns(['run_pk', 'dataset_pk']).doUpdateSet({ tags: (eb) => eb.ref('excluded.tags') }),
          )
          .execute();
      }
    });
  }

  async getMetricHistory(q: HistoryQuery): Promise<Page<Metric>> {
    const offset = decodePageToken(q.pageToken);
    const rows = await this.db
      .selectFrom('metrics as m')
      .innerJoin('runs as r', 'r.run_pk', 'm.run_pk')
      .innerJoin('metric_keys as k', 'k.key_id', 'm.key_id')
      .select(['m.step', 'm.timestamp', 'm.value', 'm.is_nan'])
      .where('r.run_uuid', '=', q.runId)
      .where('k.key', '=', q.key)
      .orderBy('m.step')
      .orderBy('m.timestamp')
      .orderBy('m.value')
      .limit(q.maxResults + 1)
      .offset(offset)
      .execute();
    const page = rows.slice(0, q.maxResults).map(
      (r): Metric => ({
        key: q.key,
        value: r.is_nan ? Number.NaN : Number(r.value),
        timestamp: Number(r.timestamp),
        step: Number(r.step),
      }),
    );
    return withToken(page, rows.length > q.maxResults ? offset + q.maxResults : undefined);
  }

  async searchRuns(q: RunSearch): Promise<Page<Run>> {
    const offset = decodePageToken(q.pageToken);
    const expIds = q.experimentIds.map(toIntId).filter((x): x is number => x !== undefined);
    if (expIds.length === 0) return { items: [] };
    const rows = await searchRunRows(this.db, this.handle.dialect, q, expIds, offset, q.maxResults + 1);
    const runs = await loadRuns(this.db, rows.slice(0, q.maxResults));
    return withToken(runs, rows.length > q.maxResults ? offset + q.maxResults : undefined);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

function withToken<T>(items: T[], nextOffset: number | undefined): Page<T> {
  return nextOffset === undefined ? { items } : { items, nextPageToken: encodePageToken(nextOffset) };
}

// biome-ignore lint/suspicious/noExplicitAny: the builder's row type varies with the caller's selection.
function applyLifecycle<QB extends { where: (...args: any[]) => any }>(
  qb: QB,
  column: string,
  view: ViewType,
): QB {
  if (view === 'ALL') return qb;
  return qb.where(column, '=', view === 'ACTIVE_ONLY' ? 'active' : 'deleted');
}

function toIntId(id: string): number | undefined {
  return /^\d{1,15}$/.test(id) ? Number(id) : undefined;
}

export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return (
    err?.code === '23505' ||
    err?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    err?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

interface RunKey {
  run_pk: number;
  experiment_id: number;
  lifecycle_stage: string;
}

async function findRun(db: Db, runId: string): Promise<RunKey> {
  const row = await db
    .selectFrom('runs')
    .select(['run_pk', 'experiment_id', 'lifecycle_stage'])
    .where('run_uuid', '=', runId)
    .executeTakeFirst();
  if (!row) throw trackingErrors.runNotFound(runId);
  return {
    run_pk: Number(row.run_pk),
    experiment_id: Number(row.experiment_id),
    lifecycle_stage: row.lifecycle_stage,
  };
}

async function findActiveRun(db: Db, runId: string): Promise<RunKey> {
  const run = await findRun(db, runId);
  if (run.lifecycle_stage !== 'active') throw trackingErrors.runNotActive(runId, run.lifecycle_stage);
  return run;
}

async function insertParams(db: Db, runPk: number, runId: string, params: KeyValue[]): Promise<void> {
  if (params.length === 0) return;
  await db
    .insertInto('params')
    .values(params.map((p) => ({ run_pk: runPk, key: p.key, value: p.value })))
    .onConflict((oc) => oc.columns(['run_pk', 'key']).doNothing())
    .execute();
  // Read back: a key logged before (or concurrently) with another value is a conflict.
  const stored = await db
    .selectFrom('params')
    .select(['key', 'value'])
    .where('run_pk', '=', runPk)
    .where(
      'key',
      'in',
      params.map((p) => p.key),
    )
    .execute();
  const byKey = new Map(stored.map((s) => [s.key, s.value]));
  for (const p of params) {
    const old = byKey.get(p.key);
    if (old !== undefined && old !== p.value) throw trackingErrors.paramConflict(runId, p.key, old, p.value);
  }
}

async function upsertTags(db: Db, runPk: number, tags: KeyValue[]): Promise<void> {
  if (tags.length === 0) return;
  await db
    .insertInto('tags')
    .values(tags.map((t) => ({ run_pk: runPk, key: t.key, value: t.value })))
    .onConflict((oc) =>
      oc.columns(['run_pk', 'key']).doUpdateSet({ value: (eb) => eb.ref('excluded.value') }),
    )
    .execute();
}

const METRIC_CHUNK = 1000;

async function insertMetrics(db: Db, run: RunKey, metrics: Metric[]): Promise<void> {
  if (metrics.length === 0) return;
  const runPk = run.run_pk;
  const keys = [...new Set(metrics.map((m) => m.key))];
  await db
    .insertInto('metric_keys')
    .values(keys.map((key) => ({ key })))
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const idRows = await db
    .selectFrom('metric_keys')
    .select(['key', 'key_id'])
    .where('key', 'in', keys)
    .execute();
  const ids = new Map(idRows.map((r) => [r.key, Number(r.key_id)]));
  for (let i = 0; i < metrics.length; i += METRIC_CHUNK) {
    const rows = metrics.slice(i, i + METRIC_CHUNK).map((m) => metricRow(runPk, ids.get(m.key)!, m));
    await db
      .insertInto('metrics')
      .values(rows)
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  const latest = [...latestPerKey(metrics).values()].map((m) => ({
    ...metricRow(runPk, ids.get(m.key)!, m),
    experiment_id: run.experiment_id,
  }));
  await db
    .insertInto('latest_metrics')
    .values(latest)
    .onConflict((oc) =>
      oc
        .columns(['run_pk', 'key_id'])
        .doUpdateSet({
          step: (eb) => eb.ref('excluded.step'),
          timestamp: (eb) => eb.ref('excluded.timestamp'),
          value: (eb) => eb.ref('excluded.value'),
          is_nan: (eb) => eb.ref('excluded.is_nan'),
        })
        .where(
          sql<boolean>`(excluded.step, excluded.timestamp, excluded.value) > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)`,
        ),
    )
    .execute();
}

function metricRow(runPk: number, keyId: number, m: Metric) {
  const nan = Number.isNaN(m.value);
  return {
    run_pk: runPk,
    key_id: keyId,
    step: m.step,
    timestamp: m.timestamp,
    value: nan ? 0 : m.value,
    is_nan: nan ? 1 : 0,
  };
}
