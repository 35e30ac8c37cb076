import type { Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * The model registry (registered models, versions, tags, aliases) and the events table.
 * Models are keyed by an integer so a rename touches one row; versions by (model, number).
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';

  await db.schema
    .createTable('registered_models')
    .addColumn('model_pk', serial, (c) => c.primaryKey())
    .addColumn('name', 'varchar(256)', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('creation_time', 'bigint', (c) => c.notNull())
    .addColumn('last_updated_time', 'bigint', (c) => c.notNull())
    .addColumn('last_version', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('model_versions')
    .addColumn('model_pk', 'bigint', (c) => c.notNull().references('registered_models.model_pk'))
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('creation_time', 'bigint', (c) => c.notNull())
    .addColumn('last_updated_time', 'bigint', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('user_id', 'varchar(256)')
    .addColumn('current_stage', 'varchar(20)', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('storage_location', 'text')
    .addColumn('run_id', 'varchar(256)', (c) => c.notNull())
    .addColumn('run_link', 'text', (c) => c.notNull())
    .addColumn('status', 'varchar(20)', (c) => c.notNull())
    .addColumn('status_message', 'text')
    .addColumn('model_id', 'varchar(256)')
    .addPrimaryKeyConstraint('model_versions_pk', ['model_pk', 'version'])
    .execute();
  await db.schema.createIndex('model_versions_run').on('model_versions').columns(['run_id']).execute();
  await db.schema
    .createIndex('model_versions_updated')
    .on('model_versions')
    .columns(['last_updated_time'])
    .execute();

  await db.schema
    .createTable('registered_model_tags')
    .addColumn('model_pk', 'bigint', (c) => c.notNull().references('registered_models.model_pk'))
    .addColumn('key', 'varchar(250)', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('registered_model_tags_pk', ['model_pk', 'key'])
    .execute();

  await db.schema
    .createTable('model_version_tags')
    .addColumn('model_pk', 'bigint', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('key', 'varchar(250)', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_version_tags_pk', ['model_pk', 'version', 'key'])
    .addForeignKeyConstraint('model_version_tags_version', ['model_pk', 'version'], 'model_versions', [
      'model_pk',
      'version',
    ])
    .execute();

  await db.schema
    .createTable('registered_model_aliases')
    .addColumn('model_pk', 'bigint', (c) => c.notNull())
    .addColumn('alias', 'varchar(255)', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('registered_model_aliases_pk', ['model_pk', 'alias'])
    .addForeignKeyConstraint('registered_model_aliases_version', ['model_pk', 'version'], 'model_versions', [
      'model_pk',
      'version',
    ])
    .execute();
  await db.schema
    .createIndex('registered_model_aliases_version')
    .on('registered_model_aliases')
    .columns(['model_pk', 'version'])
    .execute();

  // Ids only grow (AUTOINCREMENT on SQLite), so a follower's "after event N" never skips or repeats.
  await db.schema
    .createTable('events')
    .addColumn('event_id', serial, (c) =>
      dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
    )
    .addColumn('type', 'varchar(100)', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}
