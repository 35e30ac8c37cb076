import type { Database as Sqlite, Statement } from 'better-sqlite3';
import { trackingErrors } from './errors.js';
import { latestPerKey, storedValue } from './sql-rows.js';
import type { RunBatch } from './types.js';

export interface GroupItem {
  runId: string;
  batch: RunBatch;
}

interface Statements {
  findRun: Statement<[string], { run_pk: number; experiment_id: number; lifecycle_stage: string }>;
  getParam: Statement<[number, string], { value: string }>;
  insertParam: Statement<[number, string, string]>;
  upsertTag: Statement<[number, string, string]>;
  insertKey: Statement<[string]>;
  keyId: Statement<[string], { key_id: number }>;
  insertMetric: Statement<[number, number, number, number, number, number]>;
  upsertLatest: Statement<[number, number, number, number, number, number, number]>;
}

/**
 * log-batch on SQLite, the write hot path: one synchronous better-sqlite3 transaction over
 * prepared statements. Metric keys are interned; their ids are cached once the transaction that
 * created them has committed. Used in-process (SqliteTrackingStore) and in the writer thread.
 */
export class SqliteBatchWriter {
  private readonly stmts: Statements;
  private readonly keyIds = new Map<string, number>();
  private readonly transaction: (runId: string, batch: RunBatch, newKeys: Map<string, number>) => void;
  private readonly groupTransaction: (items: GroupItem[], newKeys: Map<string, number>) => Array<unknown>;

  constructor(sqlite: Sqlite) {
    this.stmts = {
      findRun: sqlite.prepare('select run_pk, experiment_id, lifecycle_stage from runs where run_uuid = ?'),
      getParam: sqlite.prepare('select value from params where run_pk = ? and key = ?'),
      insertParam: sqlite.prepare('insert into params (run_pk, key, value) values (?, ?, ?)'),
      upsertTag: sqlite.prepare(
        'insert into tags (run_pk, key, value) values (?, ?, ?) on conflict (run_pk, key) do update set value = excluded.value',
      ),
      insertKey: sqlite.prepare('insert or ignore into metric_keys (key) values (?)'),
      keyId: sqlite.prepare('select key_id from metric_keys where key = ?'),
      insertMetric: sqlite.prepare(
        'insert or ignore into metrics (run_pk, key_id, step, timestamp, value, is_nan) values (?, ?, ?, ?, ?, ?)',
      ),
      upsertLatest: sqlite.prepare(
        `insert into latest_metrics (run_pk, key_id, experiment_id, step, timestamp, value, is_nan) values (?, ?, ?, ?, ?, ?, ?)
         on conflict (run_pk, key_id) do update set step = excluded.step, timestamp = excluded.timestamp,
           value = excluded.value, is_nan = excluded.is_nan
         where (excluded.step, excluded.timestamp, excluded.value) > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)`,
      ),
    };
    this.transaction = sqlite.transaction((runId: string, batch: RunBatch, newKeys: Map<string, number>) =>
      this.writeUnsafe(runId, batch, newKeys),
    );
    // Inside an open transaction, better-sqlite3 runs a transaction function as a savepoint.
    this.groupTransaction = sqlite.transaction((items: GroupItem[], newKeys: Map<string, number>) =>
      items.map(({ runId, batch }) => {
        const mine = new Map<string, number>();
        try {
          this.transaction(runId, batch, mine);
          for (const [k, id] of mine) newKeys.set(k, id);
          return undefined;
        } catch (e) {
          return e;
        }
      }),
    );
  }

  /**
   * Group commit: several batches in one transaction, each in its own savepoint, so each is still
   * written whole or not at all, while pages that successive batches touch are written once.
   * Returns each batch's error (undefined when it was written).
   */
  writeGroup(items: GroupItem[]): Array<unknown> {
    const newKeys = new Map<string, number>();
    const errors = this.groupTransaction(items, newKeys);
    for (const [k, id] of newKeys) this.keyIds.set(k, id);
    return errors;
  }

  /** Writes the whole batch or nothing (throws the tracking error that stopped it). */
  write(runId: string, batch: RunBatch): void {
    const newKeys = new Map<string, number>();
    this.transaction(runId, batch, newKeys);
    for (const [k, id] of newKeys) this.keyIds.set(k, id);
  }

  private writeUnsafe(runId: string, batch: RunBatch, newKeys: Map<string, number>): void {
    const st = this.stmts;
    const run = st.findRun.get(runId);
    if (!run) throw trackingErrors.runNotFound(runId);
    if (run.lifecycle_stage !== 'active') throw trackingErrors.runNotActive(runId, run.lifecycle_stage);
    const pk = run.run_pk;
    for (const p of batch.params) {
      const old = st.getParam.get(pk, p.key);
      if (old === undefined) st.insertParam.run(pk, p.key, p.value);
      else if (old.value !== p.value) throw trackingErrors.paramConflict(runId, p.key, old.value, p.value);
    }
    for (const t of batch.tags) st.upsertTag.run(pk, t.key, t.value);
    if (batch.metrics.length === 0) return;

    const keyId = (key: string): number => {
      let id = this.keyIds.get(key) ?? newKeys.get(key);
      if (id === undefined) {
        st.insertKey.run(key);
        id = st.keyId.get(key)!.key_id;
        newKeys.set(key, id);
      }
      return id;
    };
    let lastKey = '';
    let lastId = 0;
    for (const m of batch.metrics) {
      if (m.key !== lastKey) {
        lastKey = m.key;
        lastId = keyId(m.key);
      }
      const nan = Number.isNaN(m.value);
      st.insertMetric.run(pk, lastId, m.step, m.timestamp, nan ? 0 : m.value, nan ? 1 : 0);
    }
    for (const m of latestPerKey(batch.metrics).values()) {
      st.upsertLatest.run(
        pk,
        keyId(m.key),
        run.experiment_id,
        m.step,
        m.timestamp,
        storedValue(m.value),
        Number.isNaN(m.value) ? 1 : 0,
      );
    }
  }
}
