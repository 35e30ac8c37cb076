import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../db.js';

/** Experiments, runs, params, tags, metrics (interned keys), latest metrics and dataset inputs. */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  const withoutRowid = dialect === 'sqlite' ? sql` without rowid` : sql``;

  await db.schema
    .createTable('experiments')
    .addColumn('experiment_id', serial, (c) => c.primaryKey())
    .addColumn('name', 'varchar(500)', (c) => c.notNull().unique())
    .addColumn('artifact_location', 'text', (c) => c.notNull())
    .addColumn('lifecycle_stage', 'varchar(32)', (c) => c.notNull())
    .addColumn('creation_time', 'bigint', (c) => c.notNull())
    .addColumn('last_update_time', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('experiment_tags')
    .addColumn('experiment_id', 'bigint', (c) => c.notNull().references('experiments.experiment_id'))
    .addColumn('key', 'varchar(250)', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('experiment_tags_pk', ['experiment_id', 'key'])
    .execute();

  await db.schema
    .createTable('runs')
    .addColumn('run_pk', serial, (c) => c.primaryKey())
    .addColumn('run_uuid', 'varchar(256)', (c) => c.notNull().unique())
    .addColumn('experiment_id', 'bigint', (c) => c.notNull().references('experiments.experiment_id'))
    .addColumn('name', 'varchar(250)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(256)', (c) => c.notNull())
    .addColumn('status', 'varchar(20)', (c) => c.notNull())
    .addColumn('start_time', 'bigint', (c) => c.notNull())
    .addColumn('end_time', 'bigint')
    .addColumn('deleted_time', 'bigint')
    .addColumn('lifecycle_stage', 'varchar(20)', (c) => c.notNull())
    .addColumn('artifact_uri', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('runs_experiment_start')
    .on('runs')
    .columns(['experiment_id', 'start_time'])
    .execute();

  for (const table of ['params', 'tags'] as const) {
    await db.schema
      .createTable(table)
      .addColumn('run_pk', 'bigint', (c) => c.notNull().references('runs.run_pk'))
      .addColumn('key', 'varchar(250)', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${table}_pk`, ['run_pk', 'key'])
      .modifyEnd(withoutRowid)
      .execute();
    await db.schema.createIndex(`${table}_key_value`).on(table).columns(['key', 'run_pk']).execute();
  }

  await db.schema
    .createTable('metric_keys')
    .addColumn('key_id', serial, (c) => c.primaryKey())
    .addColumn('key', 'varchar(250)', (c) => c.notNull().unique())
    .execute();

  // Every point, deduplicated on (run, key, step, timestamp, value) as MLflow does.
  await db.schema
    .createTable('metrics')
    .addColumn('run_pk', 'bigint', (c) => c.notNull())
    .addColumn('key_id', 'bigint', (c) => c.notNull())
    .addColumn('step', 'bigint', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('is_nan', 'smallint', (c) => c.notNull())
    .addPrimaryKeyConstraint('metrics_pk', ['run_pk', 'key_id', 'step', 'timestamp', 'value'])
    .modifyEnd(withoutRowid)
    .execute();

  // The latest point per (run, key): max (step, timestamp, value). Search filters and sorts on it;
  // the run's experiment is copied in so a search walks only the searched experiment's values.
  await db.schema
    .createTable('latest_metrics')
    .addColumn('run_pk', 'bigint', (c) => c.notNull())
    .addColumn('key_id', 'bigint', (c) => c.notNull())
    .addColumn('experiment_id', 'bigint', (c) => c.notNull())
    .addColumn('step', 'bigint', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('is_nan', 'smallint', (c) => c.notNull())
    .addPrimaryKeyConstraint('latest_metrics_pk', ['run_pk', 'key_id'])
    .modifyEnd(withoutRowid)
    .execute();
  await db.schema
    .createIndex('latest_metrics_exp_key_value')
    .on('latest_metrics')
    .columns(['experiment_id', 'key_id', 'is_nan', 'value', 'run_pk'])
    .execute();

  await db.schema
    .createTable('datasets')
    .addColumn('dataset_pk', serial, (c) => c.primaryKey())
    .addColumn('experiment_id', 'bigint', (c) => c.notNull().references('experiments.experiment_id'))
    .addColumn('name', 'varchar(500)', (c) => c.notNull())
    .addColumn('digest', 'varchar(36)', (c) => c.notNull())
    .addColumn('source_type', 'varchar(36)', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('schema', 'text')
    .addColumn('profile', 'text')
    .addUniqueConstraint('datasets_identity', ['experiment_id', 'name', 'digest'])
    .execute();

  await db.schema
    .createTable('run_inputs')
    .addColumn('run_pk', 'bigint', (c) => c.notNull().references('runs.run_pk'))
    .addColumn('dataset_pk', 'bigint', (c) => c.notNull().references('datasets.dataset_pk'))
    .addColumn('tags', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_inputs_pk', ['run_pk', 'dataset_pk'])
    .execute();
  await db.schema.createIndex('run_inputs_dataset').on('run_inputs').columns(['dataset_pk']).execute();
}
