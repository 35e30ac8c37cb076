/**
 * The event log that ties the domains together: a new model version, a moved alias, a drift alert…
 * Each is a row of the `events` table, written in the same transaction as the change it records,
 * so an event exists exactly when its change committed.
 *
 * In-process subscribers hear an event once its transaction has committed; other processes follow
 * the table with `poll(afterEventId)`. Event ids become visible in increasing order: on PostgreSQL
 * a transaction that appends holds one advisory lock from its first append until it commits (so
 * append after the change's other writes), on SQLite the database's write lock does the same.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import { type Clock, systemClock } from '../core/clock.js';
import { CairnError } from '../core/errors.js';
import type { MetadataDb } from './db.js';
import type { Database } from './schema.js';

export interface EventInput {
  /** `<entity>.<what happened>`, e.g. `model_version.created`. */
  type: string;
  /** What the event is about (for registry events, the model's name). */
  subject: string;
  /** Any JSON value. */
  payload: unknown;
}

export interface CairnEvent {
  eventId: number;
  type: string;
  subject: string;
  payload: unknown;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

export type EventListener = (event: CairnEvent) => void;

type Executor = Kysely<Database> | Transaction<Database>;

/** The key of the PostgreSQL advisory lock that orders event ids by commit ("cairn" in ASCII). */
const EVENTS_LOCK_KEY = 0x636169726e;

export class EventLog {
  private static readonly byHandle = new WeakMap<MetadataDb, EventLog>();

  /** The one log of a database handle, so every domain's events reach the same subscribers. */
  static for(handle: MetadataDb): EventLog {
    let log = EventLog.byHandle.get(handle);
    if (!log) {
      log = new EventLog(handle);
      EventLog.byHandle.set(handle, log);
    }
    return log;
  }

  private readonly listeners = new Set<EventListener>();
  private readonly pending = new WeakMap<Transaction<Database>, { events: CairnEvent[]; locked: boolean }>();

  constructor(
    private readonly handle: MetadataDb,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Runs `fn` in a transaction whose appended events reach subscribers after it commits (and never
   * if it rolls back). Appends on a transaction must use one opened here.
   */
  async transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    let events: CairnEvent[] = [];
    const result = await this.handle.db.transaction().execute(async (trx) => {
      const state = { events: [] as CairnEvent[], locked: false };
      this.pending.set(trx, state);
      events = state.events;
      return fn(trx);
    });
    this.publish(events);
    return result;
  }

  /** Appends an event in `db`'s transaction, or in a transaction of its own for a plain handle. */
  async append(db: Executor, input: EventInput): Promise<CairnEvent> {
    if (!db.isTransaction) return this.transaction((trx) => this.append(trx, input));
    const state = this.pending.get(db as Transaction<Database>);
    if (!state) {
      throw new CairnError(
        'INTERNAL_ERROR',
        'EventLog.append was given a transaction not opened with EventLog.transaction',
      );
    }
    if (!state.locked && this.handle.dialect === 'postgres') {
      await sql`SELECT pg_advisory_xact_lock(${EVENTS_LOCK_KEY})`.execute(db);
      state.locked = true;
    }
    const createdAt = this.clock();
    const row = await db
      .insertInto('events')
      .values({
        type: input.type,
        subject: input.subject,
        payload: JSON.stringify(input.payload ?? null),
        created_at: createdAt,
      })
      .returning('event_id')
      .executeTakeFirstOrThrow();
    const event: CairnEvent = {
      eventId: Number(row.event_id),
      type: input.type,
      subject: input.subject,
      payload: structuredClone(input.payload ?? null),
      createdAt,
    };
    state.events.push(event);
    return event;
  }

  /** Calls `listener` with every event appended through this log, after its commit. Returns an unsubscribe. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Committed events with an id above `afterEventId`, oldest first: how other processes follow. */
  async poll(afterEventId: number, limit = 100): Promise<CairnEvent[]> {
    if (!Number.isSafeInteger(afterEventId) || afterEventId < 0)
      throw new CairnError('INVALID_PARAMETER_VALUE', `Invalid event id ${afterEventId}`);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000)
      throw new CairnError('INVALID_PARAMETER_VALUE', `Invalid poll limit ${limit}: expected 1 to 10000`);
    const rows = await this.handle.db
      .selectFrom('events')
      .selectAll()
      .where('event_id', '>', afterEventId)
      .orderBy('event_id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      eventId: Number(r.event_id),
      type: r.type,
      subject: r.subject,
      payload: JSON.parse(r.payload) as unknown,
      createdAt: Number(r.created_at),
    }));
  }

  /** The id of the newest committed event (0 when there is none): where a new follower starts. */
  async lastEventId(): Promise<number> {
    const row = await this.handle.db
      .selectFrom('events')
      .select((eb) => eb.fn.max('event_id').as('last'))
      .executeTakeFirst();
    return Number(row?.last ?? 0);
  }

  private publish(events: readonly CairnEvent[]): void {
    for (const event of events) {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (e) {
          process.emitWarning(`An event listener threw on ${event.type}: ${String(e)}`);
        }
      }
    }
  }
}
