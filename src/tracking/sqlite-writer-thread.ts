import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { CairnError } from '../core/errors.js';
import { applySqlitePragmas } from '../store/db.js';
import { type GroupItem, SqliteBatchWriter } from './sqlite-batch-writer.js';
import { type PackedBatch, unpackBatch, type WriterReply } from './sqlite-writer-protocol.js';

/**
 * The writer thread: its own connection to the same SQLite file, running log-batch transactions
 * so the server's event loop keeps parsing requests while the database writes. Batches that
 * arrive together are group-committed (one transaction, a savepoint each).
 */
const sqlite = new BetterSqlite3((workerData as { file: string }).file);
applySqlitePragmas(sqlite);
const writer = new SqliteBatchWriter(sqlite);
const queue: Array<GroupItem & { id: number }> = [];
let scheduled = false;
let closing = false;

function drain(): void {
  scheduled = false;
  const items = queue.splice(0);
  let errors: unknown[];
  try {
    errors = writer.writeGroup(items);
  } catch (e) {
    errors = items.map(() => e);
  }
  for (const [i, item] of items.entries()) parentPort!.postMessage(toReply(item.id, errors[i]));
  if (closing) close();
}

function toReply(id: number, e: unknown): WriterReply {
  if (e === undefined) return { id };
  if (e instanceof CairnError) return { id, error: { code: e.code, message: e.message } };
  return { id, error: { code: 'INTERNAL_ERROR', message: `log-batch failed: ${(e as Error).message}` } };
}

function close(): void {
  sqlite.close();
  parentPort!.close();
}

parentPort!.on('message', (msg: { id: number; runId: string; batch: PackedBatch } | 'close') => {
  if (msg === 'close') {
    closing = true;
    if (!scheduled) close();
    return;
  }
  queue.push({ id: msg.id, runId: msg.runId, batch: unpackBatch(msg.batch) });
  if (!scheduled) {
    scheduled = true;
    setImmediate(drain);
  }
});
