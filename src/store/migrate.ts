import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { CairnError } from '../core/errors.js';
import type { Dialect, MetadataDb } from './db.js';
import * as m001 from './migrations/001-tracking.js';
import * as m002 from './migrations/002-default-experiment.js';
import * as m003 from './migrations/003-registry.js';
import * as m004 from './migrations/004-logged-models.js';
import * as m005 from './migrations/005-inference-log.js';
import * as m006 from './migrations/006-auth.js';

type VersionedMigration = { up(db: Kysely<unknown>, dialect: Dialect): Promise<void> };

/** Every schema version, in order. Append only: a shipped migration is never edited. */
const MIGRATIONS: Record<string, VersionedMigration> = {
  '001-tracking': m001,
  '002-default-experiment': m002,
  '003-registry': m003,
  '004-logged-models': m004,
  '005-inference-log': m005,
  '006-auth': m006,
};

class StaticProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const [name, m] of Object.entries(MIGRATIONS)) {
      out[name] = { up: (db) => m.up(db, this.dialect) };
    }
    return out;
  }
}

/** Runs the migrations not yet applied. Safe to call on every start, from several processes. */
export async function migrateToLatest(handle: MetadataDb): Promise<void> {
  const migrator = new Migrator({
    db: handle.db,
    provider: new StaticProvider(handle.dialect),
    migrationTableName: 'cairn_migrations',
    migrationLockTableName: 'cairn_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new CairnError('INTERNAL_ERROR', `Database migration '${failed}' failed: ${String(error)}`, {
      cause: error,
    });
  }
  if (handle.dialect === 'sqlite') await sql`pragma optimize`.execute(handle.db);
}
