import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authCoverage, ruleKey } from '../../src/auth/install.js';
import { type RouteEntry, routesOf } from '../../src/server/route-table.js';
import { listTree } from '../helpers/server.js';
import { ADMIN, type AuthTestServer, startAuthServer } from './auth-fixture.js';
import { authHeaders, type KnownSecrets } from './auth-fuzz-gen.js';
import { CONTENT_TYPES, garbageBody, Rng, randomObject, randomPathPart, randomQuery } from './fuzz-gen.js';
import { httpRequestBytes, sendRawBytes } from './raw-socket.js';
import { dumpStore } from './sqlite-rows.js';

const API = '/api/2.0/mlflow';
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];
const REQUESTS = 2000;
/** Requests in flight at once: enough to keep scrypt's thread pool busy, not to flood the server. */
const CONCURRENCY = 8;

/** The 400s given before any route runs: a malformed, over-long or NUL-holding URL, broken HTTP. */
const PRE_ROUTE_400 = /Malformed (URL|HTTP request)|may not hold a NUL character|URL path is too long/;
/**
 * What Fastify's not-found route may answer besides 404: it reads the body first, so a body it
 * cannot parse is refused before the 404. Never a handler's answer (that would need a user).
 */
const NOT_FOUND_PARSE_400 =
  /Malformed JSON|Empty JSON|nested deeper|more than \d+ keys|'__proto__'|constructor\.prototype|NUL character/;

/** Why an answer to a request without valid credentials is wrong, or undefined if it is right. */
function judge(r: Sent, a: { status: number; text: string }, publicKeys: Set<string>): string | undefined {
  if (a.status >= 500 || a.status === 0) return 'server error';
  if (r.route && publicKeys.has(ruleKey(r.method, r.route.url))) return undefined;
  if (a.status < 400) return 'success without credentials';
  if (a.status === 403) return 'authorized without credentials';
  if (a.status === 401)
    return /www-authenticate: basic/i.test(a.text) ? undefined : '401 without a challenge';
  if (a.status === 431) return undefined; // headers too large: refused before any route
  if (a.status === 400 && PRE_ROUTE_400.test(a.text)) return undefined;
  // The app's HEAD answers carry no body to tell a pre-route 400 by: only for a URL that explains it.
  const head = r.method === 'HEAD';
  if (a.status === 400 && head) return /%|z{1000}/.test(r.url) ? undefined : 'HEAD 400';
  if (r.route) return `${a.status} on a route`;
  // Not routed: 404 (not a handler's RESOURCE_DOES_NOT_EXIST), or the not-found route's parse errors.
  if (a.status === 404) return head || /ENDPOINT_NOT_FOUND/.test(a.text) ? undefined : '404 from a handler';
  if (a.status === 400) return NOT_FOUND_PARSE_400.test(a.text) ? undefined : '400 from a handler';
  if (a.status === 415 || a.status === 413) return undefined;
  return 'unexpected';
}

interface Sent {
  method: string;
  url: string;
  bytes: Buffer;
  /** The route the request targets, if its method and path are a registered route's. */
  route: RouteEntry | undefined;
}

/**
 * `cairn server --auth` on SQLite, fuzzed without valid credentials: every route, with malformed,
 * oversized, repeated or wrong Authorization headers (or none), answers 401, or 404 where nothing
 * is routed, never a 5xx and never a success on a route that is not public; the store (users,
 * tokens and grants included) is unchanged.
 */
describe('auth fuzz: cairn server --auth on SQLite, without valid credentials', () => {
  let s: AuthTestServer;
  let routes: readonly RouteEntry[];
  let publicKeys: Set<string>;
  let seeded: string[];
  let secrets: KnownSecrets;

  beforeAll(async () => {
    s = await startAuthServer('sqlite');
    const admin = async (method: string, route: string, body?: unknown) => {
      const r = await s.call(ADMIN, method, API + route, body);
      if (r.status !== 200) throw new Error(`seed ${route}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    const exp = String((await admin('POST', '/experiments/create', { name: 'fuzz' }))['experiment_id']);
    const run = (await admin('POST', '/runs/create', { experiment_id: exp }))['run'] as {
      info: { run_id: string };
    };
    await admin('POST', '/registered-models/create', { name: 'fuzz-model' });
    const alice = await s.user('alice');
    await admin('POST', '/experiments/permissions/create', {
      experiment_id: exp,
      username: 'alice',
      permission: 'EDIT',
    });
    const token = await s.call(ADMIN, 'POST', '/api/2.0/cairn/tokens/create', {
      name: 'fuzz',
      username: 'alice',
    });
    expect(token.status, JSON.stringify(token.body)).toBe(200);
    secrets = {
      usernames: [ADMIN.username, alice.username],
      passwords: [ADMIN.password, alice.password],
      tokens: [String(token.body['token'])],
    };
    expect(secrets.tokens[0]).toMatch(/^cairn_/);
    seeded = [exp, run.info.run_id, 'fuzz-model', '1', 'alice', 'root-admin'];
    routes = routesOf(s.server.app);
    publicKeys = new Set(authCoverage(s.server.app).flatMap((c) => (c.rule?.public ? [c.key] : [])));
  });
  afterAll(async () => s?.stop());

  const generate = (rng: Rng): Sent[] => {
    const out: Sent[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const route = i < routes.length ? routes[i]! : rng.pick(routes);
      const method = rng.chance(0.1) ? rng.pick(METHODS) : route.method;
      // Whether the request surely reaches this route: its method, and fillers without a slash.
      let routed = routes.some((x) => x.method === method && x.url === route.url);
      let url = route.url.replace(/:[A-Za-z_]+|\*/g, () => {
        const part = randomPathPart(rng, seeded);
        if (!/^[\w.~-]+$/.test(part) || part === '..') routed = false;
        return part;
      });
      if (rng.chance(0.03)) {
        url += rng.pick(['%', '/%zz', '/..', '//']);
        routed = false;
      }
      if (rng.chance(0.3)) url += `?${randomQuery(rng)}`;
      const headers = authHeaders(rng, secrets);
      let body: string | undefined;
      if (method !== 'GET' && method !== 'HEAD' && rng.chance(0.8)) {
        body = rng.chance(0.7) ? JSON.stringify(randomObject(rng)) : garbageBody(rng);
        headers.push(['Content-Type', rng.chance(0.8) ? 'application/json' : rng.pick(CONTENT_TYPES)]);
      }
      out.push({
        method,
        url,
        bytes: httpRequestBytes(s.url, method, url, headers, body),
        route: routed ? route : undefined,
      });
    }
    return out;
  };

  it('finds the public routes in the rule table, and they are few', () => {
    expect([...publicKeys].sort()).toEqual(['GET /health', 'GET /version']);
    expect(routes.length).toBeGreaterThan(100);
  });

  it('answers every route 401 (404 where nothing is routed), never a 5xx or a success, store unchanged', async () => {
    const file = new URL(s.storeUri.replace(/^sqlite:\/\/\//, 'file:///')).pathname;
    const before = dumpStore(file);
    const files = await listTree(s.artifactsDir);
    const requests = generate(new Rng(0xa0 + REQUESTS));
    const answers: Array<{ status: number; text: string }> = new Array(requests.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < requests.length) {
          const i = next++;
          answers[i] = await sendRawBytes(s.url, requests[i]!.bytes).catch((e: Error) => ({
            status: 599,
            text: e.message,
          }));
        }
      }),
    );
    const failures: string[] = [];
    const tally = new Map<number, number>();
    requests.forEach((r, i) => {
      const a = answers[i]!;
      tally.set(a.status, (tally.get(a.status) ?? 0) + 1);
      const what = `${a.status} ${r.bytes.toString('latin1').slice(0, 300)} -> ${a.text.slice(-200)}`;
      const problem = judge(r, a, publicKeys);
      if (problem) failures.push(`${problem}: ${what}`);
    });
    if (process.env['CAIRN_FUZZ_TALLY']) console.log([...tally].sort((x, y) => x[0] - y[0]));
    if (process.env['CAIRN_FUZZ_TALLY'])
      for (const f of failures.slice(0, 40)) console.log(f.replace(/\r\n/g, ' | '));
    expect(failures.slice(0, 20), `${failures.length} bad answers`).toEqual([]);
    expect(tally.get(401) ?? 0).toBeGreaterThan(REQUESTS / 2);
    expect(tally.get(404) ?? 0).toBeGreaterThan(0);

    expect(dumpStore(file)).toBe(before);
    expect(await listTree(s.artifactsDir)).toEqual(files);
    // Still serving, and still letting the admin in.
    expect((await s.call(undefined, 'GET', '/health')).status).toBe(200);
    expect((await s.call(ADMIN, 'GET', `${API}/experiments/get?experiment_id=${seeded[0]}`)).status).toBe(
      200,
    );
  });
});
