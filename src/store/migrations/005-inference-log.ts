import type { Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * The inference log (one row per answered request that serving sampled) and the ground-truth
 * labels posted later by request id. Inputs, outputs and labels are JSON text.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  await db.schema
    .createTable('inference_log')
    .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('model_uri', 'text', (c) => c.notNull())
    .addColumn('model_version', 'text')
    .addColumn('inputs', 'text', (c) => c.notNull())
    .addColumn('outputs', 'text', (c) => c.notNull())
    .addColumn('latency_ms', 'double precision', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    // One row per request and route: a shadow model's answer is kept beside the main one.
    .addUniqueConstraint('inference_log_request_route', ['request_id', 'route'])
    .execute();
  await db.schema
    .createIndex('inference_log_model_time')
    .on('inference_log')
    .columns(['model_uri', 'time'])
    .execute();
  await db.schema.createIndex('inference_log_time').on('inference_log').columns(['time']).execute();

  await db.schema
    .createTable('inference_feedback')
    .addColumn('request_id', 'text', (c) => c.primaryKey())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('time', 'bigint', (c) => c.notNull())
    .execute();
}
