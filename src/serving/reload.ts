import type { CairnClient } from '../client/client.js';
import { parseModelUri } from '../registry/model-uri.js';
import { openMetadataDb } from '../store/db.js';
import { EventLog } from '../store/events.js';
import type { Route } from './routing.js';
import type { ModelIdentity, ServableModel } from './types.js';

type Followed =
  | { kind: 'alias'; name: string; alias: string }
  | { kind: 'stage'; name: string; stage: string }
  | { kind: 'latest'; name: string };

/** The reference a route follows, when its URI can move (alias, stage, latest). */
export function followedRef(uri: string): Followed | undefined {
  const ref = parseModelUri(uri);
  return ref.kind === 'alias' || ref.kind === 'stage' || ref.kind === 'latest' ? ref : undefined;
}

export interface ReloaderOptions {
  client: CairnClient;
  /** Poll interval in ms (default 500 embedded, 3000 remote). */
  intervalMs?: number;
  /** Loads one registry version for a route. */
  load(
    route: Route,
    version: string,
  ): Promise<{ model: ServableModel; id: ModelIdentity; release(): Promise<void> }>;
  onReload?(route: Route): void;
}

/**
 * Hot reload. Embedded stores: follows the `events` table (registry events naming a followed model
 * re-resolve its routes). Remote tracking servers: re-resolves every interval. A route whose
 * version changed loads the new version in the background, then swaps it in atomically.
 */
export class Reloader {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private closeDb: (() => Promise<void>) | undefined;
  private readonly busy = new Map<Route, Promise<void>>();
  private readonly again = new Set<Route>();
  private readonly followed: Array<{ route: Route; ref: Followed }>;

  constructor(
    routes: readonly Route[],
    private readonly o: ReloaderOptions,
  ) {
    this.followed = routes.flatMap((route) => {
      const ref = followedRef(route.uri);
      return ref ? [{ route, ref }] : [];
    });
  }

  async start(): Promise<void> {
    if (this.followed.length === 0) return;
    const uri = this.o.client.uri;
    if (/^https?:\/\//i.test(uri)) {
      this.loop(this.o.intervalMs ?? 3000, async () => this.checkAll());
      return;
    }
    const handle = await openMetadataDb(uri);
    this.closeDb = () => handle.close();
    const log = EventLog.for(handle);
    let last = await log.lastEventId();
    // Anything that moved between the initial load and now.
    this.checkAll();
    this.loop(this.o.intervalMs ?? 500, async () => {
      for (;;) {
        const events = await log.poll(last, 1000);
        if (events.length === 0) return;
        last = events[events.length - 1]!.eventId;
        const names = new Set<string>();
        for (const e of events) {
          if (!e.type.startsWith('registered_model.') && !e.type.startsWith('model_version.')) continue;
          const name = (e.payload as { name?: unknown } | null)?.name;
          if (typeof name === 'string') names.add(name);
        }
        for (const f of this.followed) if (names.has(f.ref.name)) this.check(f.route, f.ref);
        if (events.length < 1000) return;
      }
    });
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.allSettled([...this.busy.values()]);
    await this.closeDb?.();
  }

  private loop(ms: number, tick: () => Promise<void>): void {
    const run = () => {
      if (this.stopped) return;
      tick()
        .catch((e: unknown) => process.emitWarning(`Serving hot reload: ${(e as Error).message}`))
        .finally(() => {
          if (this.stopped) return;
          this.timer = setTimeout(run, ms);
          this.timer.unref?.();
        });
    };
    this.timer = setTimeout(run, ms);
    this.timer.unref?.();
  }

  private checkAll(): void {
    for (const f of this.followed) this.check(f.route, f.ref);
  }

  /** One re-resolution per route at a time; a request during one runs once more after it. */
  private check(route: Route, ref: Followed): void {
    if (this.busy.has(route)) {
      this.again.add(route);
      return;
    }
    const p = this.reload(route, ref)
      .catch((e: unknown) =>
        process.emitWarning(`Serving hot reload of ${route.uri}: ${(e as Error).message}`),
      )
      .finally(() => {
        this.busy.delete(route);
        if (this.again.delete(route) && !this.stopped) this.check(route, ref);
      });
    this.busy.set(route, p);
  }

  private async reload(route: Route, ref: Followed): Promise<void> {
    const version = await this.resolve(ref);
    if (this.stopped || version === undefined || version === route.id.version) return;
    const loaded = await this.o.load(route, version);
    if (this.stopped) {
      await loaded.release();
      return;
    }
    route.swap(loaded.model, loaded.id, () => loaded.release());
    this.o.onReload?.(route);
  }

  private async resolve(ref: Followed): Promise<string | undefined> {
    const registry = this.o.client.registry;
    if (ref.kind === 'alias')
      return String((await registry.getModelVersionByAlias(ref.name, ref.alias)).version);
    const versions = await registry.getLatestVersions(ref.name, ref.kind === 'stage' ? [ref.stage] : []);
    if (versions.length === 0) return undefined;
    return String(Math.max(...versions.map((v) => Number(v.version))));
  }
}
