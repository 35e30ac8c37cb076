import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { CairnError } from '../core/errors.js';
import { applySqlitePragmas } from '../store/db.js';
import { SqliteBatchWriter } from './sqlite-batch-writer.js';
import { type PackedBatch, unpackBatch, type WriterReply } from './sqlite-writer-protocol.js';

/**
 * The writer thread: its own connection to the same SQLite file, running log-batch transactions
 * so the server's event loop keeps parsing requests while the database writes.
 */
const sqlite = new BetterSqlite3((workerData as { file: string }).file);
applySqlitePragmas(sqlite);
const writer = new SqliteBatchWriter(sqlite);

parentPort!.on('message', (msg: { id: number; runId: string; batch: PackedBatch } | 'close') => {
  if (msg === 'close') {
    sqlite.close();
    parentPort!.close();
    return;
  }
  let reply: WriterReply;
  try {
    writer.write(msg.runId, unpackBatch(msg.batch));
    reply = { id: msg.id };
  } catch (e) {
    reply =
      e instanceof CairnError
        ? { id: msg.id, error: { code: e.code, message: e.message } }
        : { id: msg.id, error: { code: 'INTERNAL_ERROR', message: `log-batch failed: ${(e as Error).message}` } };
  }
  parentPort!.postMessage(reply);
});
