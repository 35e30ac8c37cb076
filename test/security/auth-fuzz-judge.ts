import { ruleKey } from '../../src/auth/install.js';
import type { RouteEntry } from '../../src/server/route-table.js';

/** One request of the auth fuzz, as sent. */
export interface SentRequest {
  method: string;
  url: string;
  bytes: Buffer;
  /** The route the request surely reaches (its method, fillers without a slash), if any. */
  route: RouteEntry | undefined;
}

/** The 400s given before any route runs: a malformed, over-long or NUL-holding URL, broken HTTP. */
const PRE_ROUTE_400 = /Malformed (URL|HTTP request)|may not hold a NUL character|URL path is too long/;
/**
 * What Fastify's not-found route may answer besides 404: it reads the body first, so a body it
 * cannot parse is refused before the 404. Never a handler's answer (that would need a user).
 */
const NOT_FOUND_PARSE_400 =
  /Malformed JSON|Empty JSON|nested deeper|more than \d+ keys|'__proto__'|constructor\.prototype|NUL character|CSV/;

/**
 * Why an answer to a request without valid credentials is wrong, or undefined if it is right:
 * never a 5xx; on a public route anything else; on any other route 401 with a challenge, or an
 * answer given before any route runs; where nothing is routed, 404 (or the not-found route's
 * body-parsing refusals), never a handler's answer.
 */
export function judgeUnauthenticated(
  r: SentRequest,
  a: { status: number; text: string },
  publicKeys: ReadonlySet<string>,
): string | undefined {
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
  if (a.status === 404) return head || /ENDPOINT_NOT_FOUND/.test(a.text) ? undefined : '404 from a handler';
  if (a.status === 400) return NOT_FOUND_PARSE_400.test(a.text) ? undefined : '400 from a handler';
  if (a.status === 415 || a.status === 413) return undefined;
  return 'unexpected';
}
