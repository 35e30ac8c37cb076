import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTempPostgres } from '../../test/helpers/postgres.js';
import { tempDir } from '../../test/helpers/temp.js';
import { type MetadataDb, openMetadataDb } from './db.js';
import { type CairnEvent, EventLog } from './events.js';

function eventLogSuite(
  name: string,
  open: () => Promise<{ handle: MetadataDb; close(): Promise<void> }>,
): void {
  describe(`event log: ${name}`, () => {
    let handle: MetadataDb;
    let close: () => Promise<void>;
    let log: EventLog;
    beforeAll(async () => {
      ({ handle, close } = await open());
      log = EventLog.for(handle);
    });
    afterAll(async () => close?.());

    it('is one log per database handle', () => {
      expect(EventLog.for(handle)).toBe(log);
    });

    it('appends, publishes after commit and lets other processes poll', async () => {
      const start = await log.lastEventId();
      const heard: CairnEvent[] = [];
      const stop = log.subscribe((e) => heard.push(e));
      const a = await log.append(handle.db, { type: 'test.one', subject: 's', payload: { n: 1 } });
      expect(heard.map((e) => e.eventId)).toEqual([a.eventId]);
      const [b, c] = await log.transaction(async (trx) => {
        const first = await log.append(trx, { type: 'test.two', subject: 's', payload: { n: 2 } });
        const second = await log.append(trx, { type: 'test.three', subject: 't', payload: ['x'] });
        expect(heard).toHaveLength(1); // not before the commit
        return [first, second];
      });
      stop();
      await log.append(handle.db, { type: 'test.unheard', subject: 's', payload: null });
      expect(heard.map((e) => e.type)).toEqual(['test.one', 'test.two', 'test.three']);
      expect(b!.eventId).toBeGreaterThan(a.eventId);
      expect(c!.eventId).toBeGreaterThan(b!.eventId);

      const polled = await log.poll(start, 10);
      expect(polled.map((e) => [e.type, e.subject, e.payload])).toEqual([
        ['test.one', 's', { n: 1 }],
        ['test.two', 's', { n: 2 }],
        ['test.three', 't', ['x']],
        ['test.unheard', 's', null],
      ]);
      expect(polled[0]!.createdAt).toBeGreaterThan(0);
      expect((await log.poll(start, 2)).map((e) => e.type)).toEqual(['test.one', 'test.two']);
      expect(await log.poll(polled[3]!.eventId)).toEqual([]);
      expect(await log.lastEventId()).toBe(polled[3]!.eventId);
    });

    it('keeps no event of a transaction that rolls back', async () => {
      const start = await log.lastEventId();
      const heard: CairnEvent[] = [];
      const stop = log.subscribe((e) => heard.push(e));
      await expect(
        log.transaction(async (trx) => {
          await log.append(trx, { type: 'test.rolled-back', subject: 's', payload: {} });
          throw new Error('change failed');
        }),
      ).rejects.toThrow('change failed');
      stop();
      expect(heard).toEqual([]);
      expect(await log.poll(start)).toEqual([]);
    });

    it('refuses a transaction it did not open, bad poll arguments, and survives a throwing listener', async () => {
      await expect(
        handle.db.transaction().execute((trx) => log.append(trx, { type: 'x', subject: 'y', payload: 1 })),
      ).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
      await expect(log.poll(-1)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
      await expect(log.poll(0, 0)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
      const stop = log.subscribe(() => {
        throw new Error('listener bug');
      });
      await log.append(handle.db, { type: 'test.listener', subject: 's', payload: {} });
      stop();
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('listener bug'));
      warn.mockRestore();
    });

    it('makes ids visible in commit order: a later transaction waits for an earlier one', async () => {
      const start = await log.lastEventId();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let appended!: () => void;
      const firstAppended = new Promise<void>((resolve) => {
        appended = resolve;
      });
      const slow = log.transaction(async (trx) => {
        const e = await log.append(trx, { type: 'test.slow', subject: 'order', payload: {} });
        appended();
        await gate;
        return e;
      });
      await firstAppended;
      const fast = log.append(handle.db, { type: 'test.fast', subject: 'order', payload: {} });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await pollOutside(start)).toEqual([]); // nothing is visible while the first is open
      release();
      const [s, f] = await Promise.all([slow, fast]);
      expect(f.eventId).toBeGreaterThan(s.eventId);
      expect((await log.poll(start)).map((e) => e.type)).toEqual(['test.slow', 'test.fast']);
    });

    /** What another process sees (SQLite: a read-only connection of its own, as the log's one is busy). */
    async function pollOutside(after: number): Promise<string[]> {
      if (handle.sqlite) {
        const { default: BetterSqlite3 } = await import('better-sqlite3');
        const reader = new BetterSqlite3(handle.sqlite.name, { readonly: true });
        try {
          const rows = reader
            .prepare('SELECT type FROM events WHERE event_id > ? ORDER BY event_id')
            .all(after);
          return (rows as Array<{ type: string }>).map((r) => r.type);
        } finally {
          reader.close();
        }
      }
      return (await log.poll(after)).map((e) => e.type);
    }
  });
}

eventLogSuite('sqlite', async () => {
  const tmp = await tempDir();
  const handle = await openMetadataDb(`sqlite:///${path.join(tmp.dir, 'events.db')}`);
  return {
    handle,
    close: async () => {
      await handle.close();
      await tmp.remove();
    },
  };
});

eventLogSuite('postgresql', async () => {
  const pg = await createTempPostgres();
  const handle = await openMetadataDb(pg.uri);
  return {
    handle,
    close: async () => {
      await handle.close();
      // pg's pool.end() resolves before its clients' sockets close; let them, before DROP … FORCE.
      await new Promise((resolve) => setTimeout(resolve, 250));
      await pg.drop();
    },
  };
});
