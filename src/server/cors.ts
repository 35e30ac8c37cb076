import { invalidParam } from '../core/errors.js';

/**
 * Cross-origin rules. With no allowed origins (the default) no `Access-Control-*` header is ever
 * sent and preflights are not answered, so browsers keep other sites' pages away from the API.
 * Allowed origins get their origin echoed back (never `*` with credentials) and their preflights
 * answered. Either way, a state-changing request (anything but GET, HEAD, OPTIONS) that carries an
 * `Origin` which is neither the server's own nor allowed is refused: a form on another site cannot
 * post to the server.
 */
export type OriginRule = { kind: 'any' } | { kind: 'list'; origins: ReadonlySet<string> };

const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
const ALLOWED_HEADERS = 'Authorization, Content-Type, Accept';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Parses `--cors-allowed-origins` entries (`https://app.example.com`, `http://localhost:3000`, `*`). */
export function parseOrigins(entries: readonly string[]): OriginRule {
  const origins = new Set<string>();
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') continue;
    if (entry === '*') return { kind: 'any' };
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw invalidParam(`Invalid CORS origin '${raw}': expected scheme://host[:port]`);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname.length > 1 || url.search)
      throw invalidParam(`Invalid CORS origin '${raw}': expected http(s)://host[:port] and nothing more`);
    origins.add(url.origin);
  }
  return { kind: 'list', origins };
}

export function originAllowed(origin: string, rule: OriginRule | undefined): boolean {
  if (rule === undefined) return false;
  return rule.kind === 'any' || rule.origins.has(origin);
}

/** The headers that answer an allowed origin's actual (non-preflight) request. */
export function corsResponseHeaders(origin: string): Record<string, string> {
  return { 'access-control-allow-origin': origin, vary: 'Origin' };
}

/** The headers that answer an allowed origin's preflight. */
export function preflightHeaders(origin: string): Record<string, string> {
  return {
    ...corsResponseHeaders(origin),
    'access-control-allow-methods': ALLOWED_METHODS,
    'access-control-allow-headers': ALLOWED_HEADERS,
    'access-control-max-age': '600',
  };
}

/** Whether a request is a cross-site write that no CORS rule allows (the CSRF shape). */
export function isForeignWrite(
  method: string,
  origin: string | undefined,
  ownHosts: ReadonlyArray<string | undefined>,
  rule: OriginRule | undefined,
): boolean {
  if (origin === undefined || SAFE_METHODS.has(method)) return false;
  if (originAllowed(origin, rule)) return false;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return true; // `null` (sandboxed frames, file: pages) or garbage
  }
  const own = originHost.toLowerCase();
  return !ownHosts.some((h) => h !== undefined && h.trim().toLowerCase() === own);
}
