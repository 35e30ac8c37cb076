import { CairnError } from '../core/errors.js';
import type { MetadataDb } from '../store/db.js';
import { SqlTrackingStore } from './sql-store.js';
import { SqliteBatchWriter } from './sqlite-batch-writer.js';
import { SqliteWriterThread } from './sqlite-writer.js';
import type { RunBatch } from './types.js';

export interface SqliteStoreOptions {
  /**
   * Run log-batch in a writer thread with its own connection (file databases only), so a server's
   * event loop parses the next requests while the database writes. Default false.
   */
  writerThread?: boolean;
}

/**
 * The SQLite adapter: the shared SQL store, with log-batch (the write hot path) run as one
 * synchronous better-sqlite3 transaction, in-process or in a writer thread.
 */
export class SqliteTrackingStore extends SqlTrackingStore {
  private readonly writer: SqliteBatchWriter;
  private readonly thread: SqliteWriterThread | undefined;

  constructor(handle: MetadataDb, options: SqliteStoreOptions = {}) {
    super(handle);
    if (!handle.sqlite) throw new CairnError('INTERNAL_ERROR', 'SqliteTrackingStore needs a SQLite database');
    this.writer = new SqliteBatchWriter(handle.sqlite);
    const file = handle.sqlite.name;
    if (options.writerThread && !handle.sqlite.memory && file) this.thread = new SqliteWriterThread(file);
  }

  override async logBatch(runId: string, batch: RunBatch): Promise<void> {
    if (this.thread) return this.thread.write(runId, batch);
    // Hold Kysely's connection so no Kysely transaction is open while ours runs on the same handle.
    await this.db.connection().execute(async () => this.writer.write(runId, batch));
  }

  override async close(): Promise<void> {
    await this.thread?.close();
    await super.close();
  }
}
