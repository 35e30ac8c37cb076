import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ruleKey } from '../../src/auth/install.js';
import { authHeaders } from './auth-fuzz-gen.js';
import { judgeUnauthenticated, type SentRequest } from './auth-fuzz-judge.js';
import { type AuthFuzzTarget, scoringTarget, trackingTarget } from './auth-fuzz-targets.js';
import { CONTENT_TYPES, garbageBody, Rng, randomObject, randomPathPart, randomQuery } from './fuzz-gen.js';
import { httpRequestBytes, sendRawBytes } from './raw-socket.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];
/** Requests in flight at once: enough to keep scrypt's thread pool busy, not to flood the server. */
const CONCURRENCY = 8;

function generate(t: AuthFuzzTarget, rng: Rng, count: number): SentRequest[] {
  const out: SentRequest[] = [];
  const guarded = t.routes.filter((r) => !t.publicKeys.has(ruleKey(r.method, r.url)));
  for (let i = 0; i < count; i++) {
    // Every route gets its turn, then random ones, mostly those that need credentials.
    const route = i < t.routes.length ? t.routes[i]! : rng.pick(rng.chance(0.8) ? guarded : t.routes);
    const method = rng.chance(0.1) ? rng.pick(METHODS) : route.method;
    let routed = t.routes.some((x) => x.method === method && x.url === route.url);
    let url = route.url.replace(/:[A-Za-z_]+|\*/g, () => {
      const part = randomPathPart(rng, t.seeded);
      if (!/^[\w.~-]+$/.test(part) || part === '..') routed = false;
      return part;
    });
    if (rng.chance(0.03)) {
      url += rng.pick(['%', '/%zz', '/..', '//']);
      routed = false;
    }
    if (rng.chance(0.3)) url += `?${randomQuery(rng)}`;
    const headers = authHeaders(rng, t.secrets);
    let body: string | undefined;
    if (method !== 'GET' && method !== 'HEAD' && rng.chance(0.8)) {
      body = rng.chance(0.7) ? JSON.stringify(randomObject(rng)) : garbageBody(rng);
      headers.push(['Content-Type', rng.chance(0.8) ? 'application/json' : rng.pick(CONTENT_TYPES)]);
    }
    const bytes = httpRequestBytes(t.url, method, url, headers, body);
    out.push({ method, url, bytes, route: routed ? route : undefined });
  }
  return out;
}

async function sendAllRaw(url: string, requests: readonly SentRequest[]) {
  const answers: Array<{ status: number; text: string }> = new Array(requests.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests.length) {
        const i = next++;
        answers[i] = await sendRawBytes(url, requests[i]!.bytes).catch((e: Error) => ({
          status: 599,
          text: e.message,
        }));
      }
    }),
  );
  return answers;
}

const TARGETS = [
  { label: 'cairn server --auth (SQLite)', start: trackingTarget, requests: 2000, publicRoutes: 2 },
  { label: 'cairn serve --auth (users from SQLite)', start: scoringTarget, requests: 1000, publicRoutes: 6 },
];

/**
 * Servers with auth on, fuzzed without valid credentials: every route, with malformed, oversized,
 * repeated, non-ASCII or near-miss Authorization headers (or none), answers 401, or 404 where
 * nothing is routed, never a 5xx and never a success on a route that is not public; the stores
 * (users, tokens, grants, the inference log) are unchanged.
 */
describe.each(TARGETS)('auth fuzz: $label, without valid credentials', (spec) => {
  let t: AuthFuzzTarget;
  beforeAll(async () => {
    t = await spec.start();
  });
  afterAll(async () => t?.stop());

  it('finds few public routes in the rule table, all GETs', () => {
    expect(t.publicKeys.size).toBe(spec.publicRoutes);
    for (const key of t.publicKeys) expect(key).toMatch(/^GET \//);
  });

  it('answers every route 401 (404 where nothing is routed), never a 5xx or a success, stores unchanged', async () => {
    const before = await t.snapshot();
    const requests = generate(t, new Rng(0xa0 + spec.requests), spec.requests);
    const answers = await sendAllRaw(t.url, requests);
    const failures: string[] = [];
    const tally = new Map<number, number>();
    requests.forEach((r, i) => {
      const a = answers[i]!;
      tally.set(a.status, (tally.get(a.status) ?? 0) + 1);
      const problem = judgeUnauthenticated(r, a, t.publicKeys);
      if (problem)
        failures.push(
          `${problem}: ${r.bytes.toString('latin1').slice(0, 300)} -> ${a.text.slice(-200)}`.replace(
            /\r\n/g,
            ' | ',
          ),
        );
    });
    if (process.env['CAIRN_FUZZ_TALLY'])
      console.log(
        spec.label,
        [...tally].sort((x, y) => x[0] - y[0]),
      );
    expect(failures.slice(0, 20), `${failures.length} bad answers`).toEqual([]);
    expect(tally.get(401) ?? 0).toBeGreaterThan(spec.requests / 3);
    expect(tally.get(404) ?? 0).toBeGreaterThan(0);
    expect(await t.snapshot()).toBe(before);
    await t.stillServes();
  });
});
