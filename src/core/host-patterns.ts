import { invalidParam } from './errors.js';

/**
 * Host patterns, shared by the server's `Host` check and the guarded fetch's allow-list. A pattern
 * is `host` (any port), `host:port`, `*.example.com` (any subdomain of example.com, not
 * example.com itself), a bracketed IPv6 address (`[::1]`, `[::1]:5000`), or `*` (every host).
 */
export interface HostPattern {
  /** Lower-case host name or address; IPv6 in brackets. */
  host: string;
  /** `*.suffix` patterns: the host must end with `.suffix`. */
  wildcard: boolean;
  /** `undefined`: any port. */
  port: string | undefined;
}

/** Parses pattern entries; any entry `*` makes the whole list `'any'`. Blank entries are skipped. */
export function parseHostPatterns(entries: readonly string[]): HostPattern[] | 'any' {
  const out: HostPattern[] = [];
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return 'any';
    const split = splitHostPort(entry);
    if (split === undefined || split.host === '' || /[\s/?#@\\]/.test(split.host)) {
      throw invalidParam(`Invalid host pattern '${raw}': expected host, host:port or *.domain`);
    }
    const wildcard = split.host.startsWith('*.');
    const host = wildcard ? split.host.slice(2) : split.host;
    if (host === '' || host.includes('*'))
      throw invalidParam(`Invalid host pattern '${raw}': '*' may only lead a pattern, as in *.example.com`);
    out.push({ host, wildcard, port: split.port });
  }
  return out;
}

/** Whether `host[:port]` text (a Host header, a URL's host) matches one of the patterns. */
export function hostMatches(text: string | undefined, patterns: HostPattern[] | 'any'): boolean {
  if (patterns === 'any') return true;
  if (text === undefined || text === '') return false;
  const split = splitHostPort(text.trim().toLowerCase());
  if (split === undefined) return false;
  const host = split.host.endsWith('.') ? split.host.slice(0, -1) : split.host;
  return patterns.some(
    (p) =>
      (p.port === undefined || p.port === split.port) &&
      (p.wildcard ? host.endsWith(`.${p.host}`) : host === p.host),
  );
}

/** `host[:port]` or `[v6][:port]`; `undefined` when the text is not of that shape. */
export function splitHostPort(text: string): { host: string; port: string | undefined } | undefined {
  if (text.startsWith('[')) {
    const m = /^(\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/.exec(text);
    return m ? { host: m[1]!, port: m[2] } : undefined;
  }
  const m = /^([^:]*)(?::(\d{1,5}))?$/.exec(text);
  return m ? { host: m[1]!, port: m[2] } : undefined;
}
