/**
 * The inference log: serving hands each answered request to `record()`, which only samples and
 * appends to an in-memory buffer; the buffer is written to the metadata store in batches (one
 * transaction of multi-row inserts) every `flushIntervalMs`, or as soon as `maxBatch` records wait.
 * The buffer is bounded: past `maxBuffered` the oldest records are dropped (and counted). Write
 * errors are counted and logged, never thrown at the caller; a failed batch is not retried.
 */
import type { Insertable } from 'kysely';
import { systemClock } from '../core/clock.js';
import { CairnError } from '../core/errors.js';
import { randomFor } from '../core/random.js';
import { type MetadataDb, openMetadataDb } from '../store/db.js';
import type { InferenceLogTable } from '../store/schema.js';
import type { InferenceRecord, InferenceSink } from './types.js';

export interface InferenceLogOptions {
  /** Fraction of records kept, 0..1 (default 1). */
  sampleRate?: number;
  /** Seed of the sampling RNG (deterministic sampling, for tests); default `Math.random`. */
  seed?: number;
  /** Longest a record waits in memory before a write (default 1000 ms). */
  flushIntervalMs?: number;
  /** Records per write; a full batch is written at once (default 500). */
  maxBatch?: number;
  /** Most records held in memory; past it the oldest are dropped (default 50 000). */
  maxBuffered?: number;
  /** Where write errors are reported (pino-compatible, e.g. Fastify's `app.log`); default stderr. */
  logger?: { warn(obj: object, msg: string): void };
  /** Close the database handle on `close()` (set by `InferenceLog.open`). */
  ownsHandle?: boolean;
}

export interface InferenceLogStats {
  /** Calls to `record()`. */
  recorded: number;
  /** Left out by sampling. */
  sampledOut: number;
  /** Dropped because the buffer was full (oldest first) or the log was closed. */
  dropped: number;
  /** Rows inserted. */
  written: number;
  /** Rows not inserted because their request id was already logged. */
  duplicates: number;
  /** Failed write attempts (batches). */
  writeErrors: number;
  /** Records lost to failed writes (or not serializable as JSON). */
  failed: number;
  /** Records waiting in memory. */
  buffered: number;
}

export interface InferenceQuery {
  modelUri?: string;
  /** Inclusive lower bound on `time` (ms since the epoch). */
  since?: number;
  /** Exclusive upper bound on `time`. */
  until?: number;
  /** Most records returned, oldest first (default 1000, at most 50 000). */
  limit?: number;
}

/** A logged record, with the ground-truth label posted for its request id, if any. */
export interface LabeledInferenceRecord extends InferenceRecord {
  label?: unknown;
  /** When the label was posted (ms since the epoch). */
  labelTime?: number;
}

const MAX_QUERY_LIMIT = 50_000;
/** Rows per INSERT statement: 9 parameters a row stays far below SQLite's and PostgreSQL's limits. */
const ROWS_PER_STATEMENT = 1000;
const LOG_EVERY_MS = 60_000;

export class InferenceLog implements InferenceSink {
  /** Opens (and migrates) the metadata store at `uri` and logs to it; `close()` closes it. */
  static async open(uri: string, options: InferenceLogOptions = {}): Promise<InferenceLog> {
    const handle = await openMetadataDb(uri);
    return new InferenceLog(handle, { ...options, ownsHandle: true });
  }

  private readonly sampleRate: number;
  private readonly random: () => number;
  private readonly maxBatch: number;
  private readonly maxBuffered: number;
  private readonly timer: NodeJS.Timeout;
  /** The buffer is `buf[head..]`; dropping the oldest advances `head` (compacted lazily). */
  private buf: Array<InferenceRecord | undefined> = [];
  private head = 0;
  private writing: Promise<void> | undefined;
  private scheduled = false;
  private closed = false;
  private lastLogged = Number.NEGATIVE_INFINITY;
  private readonly counts = {
    recorded: 0,
    sampledOut: 0,
    dropped: 0,
    written: 0,
    duplicates: 0,
    writeErrors: 0,
    failed: 0,
  };

  constructor(
    readonly handle: MetadataDb,
    private readonly options: InferenceLogOptions = {},
  ) {
    const rate = options.sampleRate ?? 1;
    if (!(rate >= 0 && rate <= 1))
      throw new CairnError('INVALID_PARAMETER_VALUE', `sampleRate must be within 0..1, got ${rate}`);
    const positive = (name: string, v: number | undefined, dflt: number): number => {
      const n = v ?? dflt;
      if (!Number.isInteger(n) || n < 1)
        throw new CairnError('INVALID_PARAMETER_VALUE', `${name} must be a positive integer, got ${n}`);
      return n;
    };
    this.sampleRate = rate;
    this.random = randomFor(options.seed);
    this.maxBatch = positive('maxBatch', options.maxBatch, 500);
    this.maxBuffered = positive('maxBuffered', options.maxBuffered, 50_000);
    const interval = positive('flushIntervalMs', options.flushIntervalMs, 1000);
    this.timer = setInterval(() => this.kick(), interval);
    this.timer.unref();
  }

  /** Samples and buffers one record. Never blocks on I/O, never throws. */
  record(entry: InferenceRecord): void {
    this.counts.recorded++;
    if (this.closed) {
      this.counts.dropped++;
      return;
    }
    if (this.sampleRate < 1 && !(this.random() < this.sampleRate)) {
      this.counts.sampledOut++;
      return;
    }
    if (this.size >= this.maxBuffered) {
      this.buf[this.head++] = undefined;
      this.counts.dropped++;
    }
    this.buf.push(entry);
    if (this.size >= this.maxBatch && !this.scheduled && !this.writing) {
      // Write after the current request's response has gone out, not inside record().
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.kick();
      });
    }
  }

  stats(): InferenceLogStats {
    return { ...this.counts, buffered: this.size };
  }

  /** Writes every buffered record (resolves when they are written or have failed). */
  async flush(): Promise<void> {
    while (this.writing || this.size > 0) {
      if (!this.writing) this.kick();
      await this.writing;
    }
  }

  /** Stops the timer, writes everything buffered, then (for `open`) closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.flush();
    if (this.options.ownsHandle) await this.handle.close();
  }

  /** Logged records (oldest first), each with its label if one was posted. */
  async query(q: InferenceQuery = {}): Promise<LabeledInferenceRecord[]> {
    const limit = Math.min(Math.max(1, Math.floor(q.limit ?? 1000)), MAX_QUERY_LIMIT);
    let sel = this.handle.db
      .selectFrom('inference_log as l')
      .leftJoin('inference_feedback as f', 'f.request_id', 'l.request_id')
      .select([
        'l.request_id',
        'l.time',
        'l.route',
        'l.model_uri',
        'l.model_version',
        'l.inputs',
        'l.outputs',
        'l.latency_ms',
        'l.status',
        'f.label',
        'f.time as label_time',
      ]);
    if (q.modelUri !== undefined) sel = sel.where('l.model_uri', '=', q.modelUri);
    if (q.since !== undefined) sel = sel.where('l.time', '>=', q.since);
    if (q.until !== undefined) sel = sel.where('l.time', '<', q.until);
    const rows = await sel.orderBy('l.time').orderBy('l.id').limit(limit).execute();
    return rows.map((r) => {
      const rec: LabeledInferenceRecord = {
        requestId: r.request_id,
        time: Number(r.time),
        route: r.route,
        modelUri: r.model_uri,
        inputs: JSON.parse(r.inputs),
        outputs: JSON.parse(r.outputs),
        latencyMs: Number(r.latency_ms),
        status: Number(r.status),
      };
      if (r.model_version !== null) rec.modelVersion = r.model_version;
      if (r.label !== null) {
        rec.label = JSON.parse(r.label);
        rec.labelTime = Number(r.label_time);
      }
      return rec;
    });
  }

  private get size(): number {
    return this.buf.length - this.head;
  }

  /** Starts a write of the next batch unless one is running. */
  private kick(): void {
    if (this.writing || this.size === 0) return;
    const batch = this.take(this.maxBatch);
    this.writing = this.write(batch).finally(() => {
      this.writing = undefined;
      // Keep draining while full batches wait (a partial one waits for the timer or close()).
      if (this.size >= this.maxBatch) this.kick();
    });
  }

  private take(n: number): InferenceRecord[] {
    const batch = this.buf.slice(this.head, this.head + n) as InferenceRecord[];
    this.head += batch.length;
    if (this.head > 1024 && this.head * 2 > this.buf.length) {
      this.buf = this.buf.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  private async write(batch: InferenceRecord[]): Promise<void> {
    const rows: Insertable<InferenceLogTable>[] = [];
    for (const r of batch) {
      try {
        rows.push({
          request_id: String(r.requestId),
          time: Math.round(r.time),
          route: r.route,
          model_uri: r.modelUri,
          model_version: r.modelVersion ?? null,
          inputs: JSON.stringify(r.inputs ?? []),
          outputs: JSON.stringify(r.outputs ?? []),
          latency_ms: r.latencyMs,
          status: Math.trunc(r.status),
        });
      } catch (err) {
        this.counts.failed++;
        this.report(err, 'inference log: record not serializable as JSON; skipped');
      }
    }
    if (rows.length === 0) return;
    try {
      const inserted = await this.handle.db.transaction().execute(async (trx) => {
        let n = 0;
        for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
          const res = await trx
            .insertInto('inference_log')
            .values(rows.slice(i, i + ROWS_PER_STATEMENT))
            .onConflict((oc) => oc.columns(['request_id', 'route']).doNothing())
            .executeTakeFirst();
          n += Number(res.numInsertedOrUpdatedRows ?? 0);
        }
        return n;
      });
      this.counts.written += inserted;
      this.counts.duplicates += rows.length - inserted;
    } catch (err) {
      this.counts.writeErrors++;
      this.counts.failed += rows.length;
      this.report(err, `inference log: writing ${rows.length} records failed; they are lost`);
    }
  }

  /** Logs at most one error a minute (with the counts so far), so a dead database cannot flood logs. */
  private report(err: unknown, msg: string): void {
    const now = systemClock();
    if (now - this.lastLogged < LOG_EVERY_MS) return;
    this.lastLogged = now;
    const obj = { err, stats: this.stats() };
    try {
      if (this.options.logger) this.options.logger.warn(obj, msg);
      else console.error(`${msg}: ${err instanceof Error ? err.message : String(err)}`);
    } catch {
      // A broken logger must not break the log.
    }
  }
}
