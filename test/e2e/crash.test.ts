import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openMetadataDb } from '../../src/store/db.js';
import { exitCode, spawnCli, waitForOutput } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

describe('crash safety: kill -9 during concurrent log-batch writes', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it('keeps every batch whole or absent, every acknowledged batch present, and the database intact', async () => {
    const tmp = await tempDir();
    cleanups.push(tmp.remove);
    const db = path.join(tmp.dir, 'crash.db');
    const start = () =>
      spawnCli([
        'server',
        '--port',
        '0',
        '--backend-store-uri',
        `sqlite:///${db}`,
        '--artifacts-destination',
        path.join(tmp.dir, 'art'),
      ]);
    const server = start();
    cleanups.push(async () => void server.kill('SIGKILL'));
    const [, url] = await waitForOutput(server, /listening on (http:\/\/\S+)/, 60_000);
    const post = (route: string, body: unknown) =>
      fetch(`${url}/api/2.0/mlflow/${route}`, {
        signal: AbortSignal.timeout(10_000),
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
    const runs: string[] = [];
    for (let r = 0; r < 4; r++) {
      const res = (await (await post('runs/create', { experiment_id: '0' })).json()) as {
        run: { info: { run_id: string } };
      };
      runs.push(res.run.info.run_id);
    }

    // Each batch logs 500 points under its own key plus a param, so its presence is all or nothing.
    const acknowledged = new Set<number>();
    let next = 0;
    let killed = false;
    const worker = async () => {
      while (!killed) {
        const i = next++;
        const metrics = Array.from({ length: 500 }, (_, j) => ({
          key: `b${i}`,
          value: j,
          timestamp: i,
          step: j,
        }));
        try {
          const res = await post('runs/log-batch', {
            run_id: runs[i % 4],
            metrics,
            params: [{ key: `p${i}`, value: 'x' }],
          });
          if (res.status === 200) acknowledged.add(i);
        } catch {
          return; // the server died under us
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await new Promise((r) => setTimeout(r, 1500));
    server.kill('SIGKILL');
    killed = true;
    await Promise.all(workers);
    await exitCode(server);
    expect(acknowledged.size).toBeGreaterThan(5);

    // The database opens (recovering its WAL), passes its integrity check, and holds whole batches.
    const handle = await openMetadataDb(`sqlite:///${db}`);
    cleanups.push(() => handle.close());
    const sqlite = handle.sqlite!;
    expect(sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
    const counts = sqlite
      .prepare(
        'select k.key as key, count(*) as n from metrics m join metric_keys k on k.key_id = m.key_id group by k.key',
      )
      .all() as Array<{ key: string; n: number }>;
    const present = new Map(counts.map((c) => [Number(c.key.slice(1)), c.n]));
    for (const n of present.values()) expect(n).toBe(500);
    const params = new Set(
      (sqlite.prepare('select key from params').all() as Array<{ key: string }>).map((p) =>
        Number(p.key.slice(1)),
      ),
    );
    expect([...present.keys()].sort()).toEqual([...params].sort());
    for (const i of acknowledged) expect(present.get(i), `acknowledged batch ${i}`).toBe(500);

    // And a restarted server serves it.
    const again = start();
    cleanups.push(async () => void again.kill('SIGKILL'));
    const [, url2] = await waitForOutput(again, /listening on (http:\/\/\S+)/, 60_000);
    const history = (await (
      await fetch(
        `${url2}/api/2.0/mlflow/metrics/get-history?run_id=${runs[0]}&metric_key=b0&max_results=1000`,
      )
    ).json()) as {
      metrics?: unknown[];
    };
    expect(history.metrics?.length ?? 0).toBe(present.has(0) ? 500 : 0);
    again.kill('SIGKILL'); // a graceful stop is server-cli.test.ts's concern
    await exitCode(again);
  }, 120_000); // two server start-ups from source, on a loaded machine
});
