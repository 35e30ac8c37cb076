/** One answer seen by the load loop: its status, the version header, and when it came. */
export interface Seen {
  status: number;
  version: string | null;
  at: number;
}

/**
 * Keeps `concurrency` clients POSTing `body` to `url` until `stop()`; records every answer
 * (status 0 for a failed connection).
 */
export function keepScoring(url: string, body: string, concurrency: number) {
  const seen: Seen[] = [];
  let stopped = false;
  const clients = Array.from({ length: concurrency }, async () => {
    while (!stopped) {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await res.arrayBuffer();
        seen.push({ status: res.status, version: res.headers.get('x-cairn-model-version'), at: Date.now() });
      } catch {
        seen.push({ status: 0, version: null, at: Date.now() });
      }
    }
  });
  return {
    seen,
    /** Resolves when `version` first answered (undefined after `timeoutMs`). */
    async firstAnswerFrom(version: string, timeoutMs: number): Promise<number | undefined> {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const hit = seen.find((s) => s.version === version);
        if (hit || Date.now() > end) return hit?.at;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop(): Promise<Seen[]> {
      stopped = true;
      await Promise.all(clients);
      return seen;
    },
  };
}
