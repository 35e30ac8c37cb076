import { Worker } from 'node:worker_threads';
import { CairnError } from '../core/errors.js';
import { packBatch, type WriterReply } from './sqlite-writer-protocol.js';
import type { RunBatch } from './types.js';

interface Pending {
  resolve(): void;
  reject(e: Error): void;
}

/**
 * The server side of the SQLite writer thread: sends log-batches to it and resolves once they
 * have committed. If the thread dies, every pending and later batch fails with INTERNAL_ERROR.
 */
export class SqliteWriterThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: CairnError | undefined;

  constructor(file: string) {
    this.worker = startThread(file);
    // An idle writer must not keep a finished program alive (nor stop 'beforeExit' from firing):
    // the thread holds the event loop only while batches are in flight.
    this.worker.unref();
    this.worker.on('message', (reply: WriterReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if (reply.error) p.reject(new CairnError(reply.error.code, reply.error.message));
      else p.resolve();
    });
    const fail = (why: string) => {
      this.failure ??= new CairnError('INTERNAL_ERROR', `The SQLite writer thread stopped: ${why}`);
      for (const p of this.pending.values()) p.reject(this.failure);
      this.pending.clear();
    };
    this.worker.on('error', (e) => fail(e.message));
    this.worker.on('exit', (code) => fail(`exit code ${code}`));
  }

  write(runId: string, batch: RunBatch): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const { packed, transfer } = packBatch(batch);
    return new Promise<void>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, runId, batch: packed }, transfer);
    });
  }

  /** Lets queued batches finish, then stops the thread. */
  async close(): Promise<void> {
    if (this.failure) return;
    const done = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.ref();
    this.worker.postMessage('close');
    await done;
  }
}

/** The thread runs the compiled entry; from source (tests, tsx) it registers tsx's loader first. */
function startThread(file: string): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./sqlite-writer-thread.js', import.meta.url), { workerData: { file } });
  }
  const entry = new URL('./sqlite-writer-thread.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData: { file } });
}
