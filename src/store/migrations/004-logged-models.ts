import type { Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * MLflow 3's logged models: the model, its params and tags, and the run outputs that link a run to
 * the models it produced. A deleted model keeps its row (lifecycle_stage 'deleted'), as MLflow does.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('logged_models')
    .addColumn('model_id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('experiment_id', 'bigint', (c) => c.notNull().references('experiments.experiment_id'))
    .addColumn('name', 'varchar(500)', (c) => c.notNull())
    .addColumn('artifact_uri', 'text', (c) => c.notNull())
    .addColumn('creation_timestamp_ms', 'bigint', (c) => c.notNull())
    .addColumn('last_updated_timestamp_ms', 'bigint', (c) => c.notNull())
    .addColumn('status', 'varchar(20)', (c) => c.notNull())
    .addColumn('status_message', 'text')
    .addColumn('model_type', 'varchar(500)')
    .addColumn('source_run_id', 'varchar(256)')
    .addColumn('lifecycle_stage', 'varchar(20)', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('logged_models_experiment_created')
    .on('logged_models')
    .columns(['experiment_id', 'creation_timestamp_ms'])
    .execute();

  for (const table of ['logged_model_params', 'logged_model_tags'] as const) {
    await db.schema
      .createTable(table)
      .addColumn('model_id', 'varchar(64)', (c) => c.notNull().references('logged_models.model_id'))
      .addColumn('key', 'varchar(250)', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${table}_pk`, ['model_id', 'key'])
      .execute();
    await db.schema.createIndex(`${table}_key`).on(table).columns(['key', 'model_id']).execute();
  }

  await db.schema
    .createTable('run_outputs')
    .addColumn('run_pk', 'bigint', (c) => c.notNull().references('runs.run_pk'))
    .addColumn('model_id', 'varchar(64)', (c) => c.notNull().references('logged_models.model_id'))
    .addColumn('step', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_outputs_pk', ['run_pk', 'model_id', 'step'])
    .execute();
  await db.schema.createIndex('run_outputs_model').on('run_outputs').columns(['model_id']).execute();
}
