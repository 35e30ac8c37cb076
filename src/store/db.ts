import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { CairnError } from '../core/errors.js';
import { migrateToLatest } from './migrate.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

/** An open metadata database: the Kysely handle, its dialect, and the raw SQLite handle if any. */
export interface MetadataDb {
  readonly dialect: Dialect;
  readonly db: Kysely<Database>;
  /** better-sqlite3's handle, for the few hot paths that run prepared statements directly. */
  readonly sqlite?: import('better-sqlite3').Database;
  readonly uri: string;
  close(): Promise<void>;
}

/** `sqlite:///abs/path.db`, `sqlite:///:memory:`, a bare path, or `postgresql://…`. */
export function parseDatabaseUri(uri: string): { dialect: Dialect; location: string } {
  if (/^postgres(ql)?:\/\//.test(uri)) return { dialect: 'postgres', location: uri };
  if (uri.startsWith('sqlite:')) {
    const rest = uri.slice('sqlite:'.length).replace(/^\/\/\/?/, '/');
    if (rest === '/:memory:' || rest === ':memory:') return { dialect: 'sqlite', location: ':memory:' };
    return { dialect: 'sqlite', location: rest };
  }
  if (uri.startsWith('file:')) {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `'${uri}' names MLflow's file store, which Cairn does not read; use sqlite:///path/to/cairn.db or postgresql://…`,
    );
  }
  if (/^[a-z][\w+.-]*:\/\//i.test(uri)) {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Unknown backend store URI scheme in '${uri}'. Known schemes: sqlite:, postgresql:, or a file path.`,
    );
  }
  return { dialect: 'sqlite', location: path.resolve(uri) };
}

/** Opens the metadata database at `uri` and brings its schema to the latest version. */
export async function openMetadataDb(uri: string): Promise<MetadataDb> {
  const { dialect, location } = parseDatabaseUri(uri);
  const handle = dialect === 'sqlite' ? await openSqlite(location, uri) : await openPostgres(location);
  await migrateToLatest(handle);
  return handle;
}

/**
 * Every SQLite connection Cairn opens: WAL (readers never block the writer), NORMAL sync (durable
 * against a crash of the process, fsync at checkpoints), a 10 s busy wait, foreign keys, and a
 * 64 MiB page cache so the metric tables' hot pages stay in memory.
 */
export function applySqlitePragmas(sqlite: import('better-sqlite3').Database): void {
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('cache_size = -65536');
}

async function openSqlite(location: string, uri: string): Promise<MetadataDb> {
  const { default: BetterSqlite3 } = await import('better-sqlite3');
  if (location !== ':memory:') mkdirSync(path.dirname(location), { recursive: true });
  const sqlite = new BetterSqlite3(location);
  applySqlitePragmas(sqlite);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    dialect: 'sqlite',
    db,
    sqlite,
    uri,
    close: () => db.destroy(),
  };
}

async function openPostgres(uri: string): Promise<MetadataDb> {
  const pg = await import('pg');
  const Pool = pg.default.Pool;
  const int8 = pg.default.types.builtins.INT8;
  const pool = new Pool({
    connectionString: uri,
    max: 10,
    // An idle pool must not keep a finished program alive.
    allowExitOnIdle: true,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === int8 ? (v: string) => Number(v) : pg.default.types.getTypeParser(oid, format)) as never,
    },
  });
  // An idle client that loses its connection (a server restart) must not crash the process; the
  // next query gets a fresh connection or a clear error.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { dialect: 'postgres', db, uri, close: () => db.destroy() };
}
