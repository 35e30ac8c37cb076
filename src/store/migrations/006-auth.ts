import type { Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * Users, API tokens and per-resource permissions (src/auth). Passwords and tokens are stored only
 * as hashes. Permissions point at experiments and registered models by their integer keys, so a
 * rename keeps them and a deleted-then-recreated model name does not inherit them.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';

  await db.schema
    .createTable('auth_users')
    .addColumn('user_id', serial, (c) => c.primaryKey())
    .addColumn('username', 'varchar(256)', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_time', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('auth_tokens')
    .addColumn('token_id', serial, (c) => c.primaryKey())
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('auth_users.user_id').onDelete('cascade'))
    .addColumn('name', 'varchar(256)', (c) => c.notNull())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('created_time', 'bigint', (c) => c.notNull())
    .addColumn('expires_time', 'bigint')
    .addColumn('last_used_time', 'bigint')
    .execute();
  await db.schema.createIndex('auth_tokens_user').on('auth_tokens').columns(['user_id']).execute();

  await db.schema
    .createTable('auth_experiment_permissions')
    .addColumn('experiment_id', 'bigint', (c) =>
      c.notNull().references('experiments.experiment_id').onDelete('cascade'),
    )
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('auth_users.user_id').onDelete('cascade'))
    .addColumn('permission', 'varchar(20)', (c) => c.notNull())
    .addPrimaryKeyConstraint('auth_experiment_permissions_pk', ['experiment_id', 'user_id'])
    .execute();
  await db.schema
    .createIndex('auth_experiment_permissions_user')
    .on('auth_experiment_permissions')
    .columns(['user_id'])
    .execute();

  await db.schema
    .createTable('auth_registered_model_permissions')
    .addColumn('model_pk', 'bigint', (c) =>
      c.notNull().references('registered_models.model_pk').onDelete('cascade'),
    )
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('auth_users.user_id').onDelete('cascade'))
    .addColumn('permission', 'varchar(20)', (c) => c.notNull())
    .addPrimaryKeyConstraint('auth_registered_model_permissions_pk', ['model_pk', 'user_id'])
    .execute();
  await db.schema
    .createIndex('auth_registered_model_permissions_user')
    .on('auth_registered_model_permissions')
    .columns(['user_id'])
    .execute();
}
