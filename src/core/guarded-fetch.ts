import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { CairnError } from './errors.js';
import { hostMatches, parseHostPatterns } from './host-patterns.js';
import { isInternalAddress } from './ip-ranges.js';

/**
 * Fetching a URL that came from outside (a user, a stored URI, a remote server's answer) without
 * becoming a proxy into the network the server sits in (SSRF). Each hop, the first and every
 * redirect, is checked: http(s) only, no credentials in the URL, the host on the allow-list, and
 * every address the name resolves to, checked at connect time (a custom `lookup`, so a name that
 * re-resolves between check and use cannot slip through), outside loopback, private and
 * link-local ranges unless the host is listed as internal. Redirects are followed by hand.
 */
export interface FetchPolicy {
  /** Host patterns that may be fetched: `models.example.com`, `*.example.com`, `host:port`, `*`. */
  allowedHosts: readonly string[];
  /** Of those, the hosts allowed to be (or resolve to) internal addresses: an operator's own services. */
  internalHosts?: readonly string[];
  /** Redirects followed at most (default 5). */
  maxRedirects?: number;
}

export interface GuardedRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NULL_BODY = new Set([101, 204, 205, 304]);
/** Headers that must not follow a redirect to another origin. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/** Fetches `url` under `policy`; a refused hop is PERMISSION_DENIED naming why, nothing is sent to it. */
export async function guardedFetch(
  url: string,
  init: GuardedRequest,
  policy: FetchPolicy,
): Promise<Response> {
  const allowed = parseHostPatterns(policy.allowedHosts);
  const internal = parseHostPatterns(policy.internalHosts ?? []);
  const maxRedirects = policy.maxRedirects ?? 5;
  let target = parseUrl(url);
  let method = (init.method ?? 'GET').toUpperCase();
  let body = init.body;
  let headers: Record<string, string> = lowerKeys(init.headers ?? {});
  for (let hop = 0; ; hop++) {
    const internalOk = checkHop(target, allowed, internal);
    const res = await send(target, method, headers, body, internalOk, init.signal);
    const location = res.headers.location;
    if (!REDIRECTS.has(res.statusCode ?? 0) || location === undefined) return toResponse(res, method);
    res.resume();
    if (hop >= maxRedirects) throw refused(`more than ${maxRedirects} redirects`);
    const next = parseUrl(location, target);
    if (res.statusCode === 303 || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')) {
      method = method === 'HEAD' ? 'HEAD' : 'GET';
      body = undefined;
      headers = withoutKeys(headers, ['content-type', 'content-length']);
    }
    if (next.origin !== target.origin) headers = withoutKeys(headers, CREDENTIAL_HEADERS);
    target = next;
  }
}

/** Checks a hop's URL against the policy; returns whether internal addresses are allowed for it. */
function checkHop(
  target: URL,
  allowed: ReturnType<typeof parseHostPatterns>,
  internal: ReturnType<typeof parseHostPatterns>,
): boolean {
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw refused(`the '${target.protocol}' scheme is not fetched`);
  if (target.username !== '' || target.password !== '')
    throw refused('URLs with credentials are not fetched');
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  const hostPort = `${target.hostname}:${port}`;
  if (!hostMatches(hostPort, allowed)) throw refused(`host '${target.hostname}' is not on the allow-list`);
  const internalOk = hostMatches(hostPort, internal);
  const literal = target.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal) !== 0 && !internalOk && isInternalAddress(literal))
    throw refused(`address ${literal} is internal`);
  return internalOk;
}

function send(
  target: URL,
  method: string,
  headers: Record<string, string>,
  body: string | Uint8Array | undefined,
  internalOk: boolean,
  signal: AbortSignal | undefined,
): Promise<IncomingMessage> {
  const options: RequestOptions = {
    method,
    headers,
    agent: false,
    lookup: guardedLookup(internalOk),
    ...(signal ? { signal } : {}),
  };
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(target, options, resolve);
    req.once('error', (e) =>
      reject(
        e instanceof CairnError
          ? e
          : new CairnError('TEMPORARILY_UNAVAILABLE', `Could not reach ${target.origin}: ${e.message}`, {
              cause: e,
            }),
      ),
    );
    req.end(body);
  });
}

/** A `lookup` that resolves every address of the name and refuses the connection if any is internal. */
function guardedLookup(internalOk: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0 }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const bad = internalOk ? undefined : addresses.find((a) => isInternalAddress(a.address));
      if (bad)
        return callback(refused(`host '${hostname}' resolves to internal address ${bad.address}`), '', 0);
      if (addresses.length === 0) return callback(new Error(`no address for ${hostname}`), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

function toResponse(res: IncomingMessage, method: string): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  const status = res.statusCode ?? 0;
  if (status < 200 || status > 599) {
    res.resume();
    throw new CairnError('TEMPORARILY_UNAVAILABLE', `The server answered with HTTP status ${status}`);
  }
  const noBody = NULL_BODY.has(status) || method === 'HEAD';
  if (noBody) res.resume();
  const body = noBody ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
  return new Response(body, { status, statusText: res.statusMessage ?? '', headers });
}

function parseUrl(text: string, base?: URL): URL {
  try {
    return new URL(text, base);
  } catch {
    throw refused('not a valid URL');
  }
}

function refused(why: string): CairnError {
  return new CairnError('PERMISSION_DENIED', `Refused to fetch a URL: ${why}.`);
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

function withoutKeys(h: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(h).filter(([k]) => !keys.includes(k)));
}
