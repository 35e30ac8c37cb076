import type { Kysely } from 'kysely';
import { notFound } from '../core/errors.js';
import type { MetadataDb } from '../store/db.js';
import type { Database } from '../store/schema.js';
import type { Holding, PermissionStore } from './store.js';
import { isPermission, type Permission } from './types.js';

/** Experiment ids are integers in the database; anything else names no experiment. */
function experimentKey(id: string): number | undefined {
  return /^\d{1,15}$/.test(id) ? Number(id) : undefined;
}

function level(v: string | null | undefined): Permission | undefined {
  return isPermission(v) ? v : undefined;
}

/**
 * Permissions over the shared metadata database. Runs and logged models never move between
 * experiments, so their experiment is cached (bounded) once looked up.
 */
export class SqlPermissionStore implements PermissionStore {
  private readonly db: Kysely<Database>;
  private readonly runExperiment = new BoundedCache<string, string>(10_000);
  private readonly modelExperiment = new BoundedCache<string, string>(10_000);

  constructor(handle: MetadataDb) {
    this.db = handle.db;
  }

  async experimentHolding(experimentId: string, userId: number): Promise<Holding | undefined> {
    const key = experimentKey(experimentId);
    if (key === undefined) return undefined;
    const row = await this.db
      .selectFrom('experiments as e')
      .leftJoin('auth_experiment_permissions as p', (j) =>
        j.onRef('p.experiment_id', '=', 'e.experiment_id').on('p.user_id', '=', userId),
      )
      .select(['e.experiment_id', 'p.permission'])
      .where('e.experiment_id', '=', key)
      .executeTakeFirst();
    return row ? { permission: level(row.permission) } : undefined;
  }

  async registeredModelHolding(name: string, userId: number): Promise<Holding | undefined> {
    const row = await this.db
      .selectFrom('registered_models as rm')
      .leftJoin('auth_registered_model_permissions as p', (j) =>
        j.onRef('p.model_pk', '=', 'rm.model_pk').on('p.user_id', '=', userId),
      )
      .select(['rm.model_pk', 'p.permission'])
      .where('rm.name', '=', name)
      .executeTakeFirst();
    return row ? { permission: level(row.permission) } : undefined;
  }

  async setExperimentPermission(experimentId: string, userId: number, permission: Permission): Promise<void> {
    const key = experimentKey(experimentId);
    const exists =
      key !== undefined &&
      (await this.db
        .selectFrom('experiments')
        .select('experiment_id')
        .where('experiment_id', '=', key)
        .executeTakeFirst());
    if (key === undefined || !exists) throw notFound(`No experiment with id '${experimentId}'.`);
    await this.db
      .insertInto('auth_experiment_permissions')
      .values({ experiment_id: key, user_id: userId, permission })
      .onConflict((oc) => oc.columns(['experiment_id', 'user_id']).doUpdateSet({ permission }))
      .execute();
  }

  async setRegisteredModelPermission(name: string, userId: number, permission: Permission): Promise<void> {
    const model = await this.db
      .selectFrom('registered_models')
      .select('model_pk')
      .where('name', '=', name)
      .executeTakeFirst();
    if (!model) throw notFound(`No registered model named '${name}'.`);
    await this.db
      .insertInto('auth_registered_model_permissions')
      .values({ model_pk: Number(model.model_pk), user_id: userId, permission })
      .onConflict((oc) => oc.columns(['model_pk', 'user_id']).doUpdateSet({ permission }))
      .execute();
  }

  async deleteExperimentPermission(experimentId: string, userId: number): Promise<boolean> {
    const key = experimentKey(experimentId);
    if (key === undefined) return false;
    const result = await this.db
      .deleteFrom('auth_experiment_permissions')
      .where('experiment_id', '=', key)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async deleteRegisteredModelPermission(name: string, userId: number): Promise<boolean> {
    const result = await this.db
      .deleteFrom('auth_registered_model_permissions')
      .where('user_id', '=', userId)
      .where('model_pk', 'in', (eb) =>
        eb.selectFrom('registered_models').select('model_pk').where('name', '=', name),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async experimentIdsWith(userId: number, levels: readonly Permission[]): Promise<string[]> {
    if (levels.length === 0) return [];
    const rows = await this.db
      .selectFrom('auth_experiment_permissions')
      .select('experiment_id')
      .where('user_id', '=', userId)
      .where('permission', 'in', [...levels])
      .execute();
    return rows.map((r) => String(r.experiment_id));
  }

  async registeredModelNamesWith(userId: number, levels: readonly Permission[]): Promise<string[]> {
    if (levels.length === 0) return [];
    const rows = await this.db
      .selectFrom('auth_registered_model_permissions as p')
      .innerJoin('registered_models as rm', 'rm.model_pk', 'p.model_pk')
      .select('rm.name')
      .where('p.user_id', '=', userId)
      .where('p.permission', 'in', [...levels])
      .execute();
    return rows.map((r) => r.name);
  }

  async listExperimentPermissions(userId: number) {
    const rows = await this.db
      .selectFrom('auth_experiment_permissions')
      .select(['experiment_id', 'permission'])
      .where('user_id', '=', userId)
      .orderBy('experiment_id')
      .execute();
    return rows.flatMap((r) => {
      const p = level(r.permission);
      return p ? [{ experimentId: String(r.experiment_id), permission: p }] : [];
    });
  }

  async listRegisteredModelPermissions(userId: number) {
    const rows = await this.db
      .selectFrom('auth_registered_model_permissions as p')
      .innerJoin('registered_models as rm', 'rm.model_pk', 'p.model_pk')
      .select(['rm.name', 'p.permission'])
      .where('p.user_id', '=', userId)
      .orderBy('rm.name')
      .execute();
    return rows.flatMap((r) => {
      const p = level(r.permission);
      return p ? [{ name: r.name, permission: p }] : [];
    });
  }

  async experimentIdByName(name: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('experiments')
      .select('experiment_id')
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? String(row.experiment_id) : undefined;
  }

  async modelVersionOrigin(
    name: string,
    version: string,
  ): Promise<{ source: string; runId: string } | undefined> {
    if (!/^\d{1,15}$/.test(version)) return undefined;
    const row = await this.db
      .selectFrom('model_versions as mv')
      .innerJoin('registered_models as rm', 'rm.model_pk', 'mv.model_pk')
      .select(['mv.source', 'mv.run_id'])
      .where('rm.name', '=', name)
      .where('mv.version', '=', Number(version))
      .executeTakeFirst();
    return row ? { source: row.source, runId: row.run_id } : undefined;
  }

  async experimentOfRun(runId: string): Promise<string | undefined> {
    const cached = this.runExperiment.get(runId);
    if (cached !== undefined) return cached;
    const row = await this.db
      .selectFrom('runs')
      .select('experiment_id')
      .where('run_uuid', '=', runId)
      .executeTakeFirst();
    if (!row) return undefined;
    const id = String(row.experiment_id);
    this.runExperiment.set(runId, id);
    return id;
  }

  async experimentOfLoggedModel(modelId: string): Promise<string | undefined> {
    const cached = this.modelExperiment.get(modelId);
    if (cached !== undefined) return cached;
    const row = await this.db
      .selectFrom('logged_models')
      .select('experiment_id')
      .where('model_id', '=', modelId)
      .executeTakeFirst();
    if (!row) return undefined;
    const id = String(row.experiment_id);
    this.modelExperiment.set(modelId, id);
    return id;
  }
}

/** A Map that forgets its oldest entry past `limit`. */
class BoundedCache<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly limit: number) {}
  get(key: K): V | undefined {
    return this.map.get(key);
  }
  set(key: K, value: V): void {
    if (this.map.size >= this.limit) this.map.delete(this.map.keys().next().value as K);
    this.map.set(key, value);
  }
}
