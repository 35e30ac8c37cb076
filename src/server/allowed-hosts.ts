import { type HostPattern, hostMatches, parseHostPatterns } from '../core/host-patterns.js';

/**
 * The `Host` header check against DNS rebinding: a page on an attacker's domain that re-resolves
 * to 127.0.0.1 still sends its own name as `Host`, which the list does not hold.
 */
export type AllowedHosts = HostPattern[] | 'any';

/** What a server bound to a loopback address accepts when no `--allowed-hosts` is given. */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

export function parseAllowedHosts(entries: readonly string[]): AllowedHosts {
  return parseHostPatterns(entries);
}

/** Whether a request's `Host` header is allowed. A missing header never is (unless any host is). */
export function hostAllowed(header: string | undefined, allowed: AllowedHosts): boolean {
  return hostMatches(header, allowed);
}

/** Whether a bind address is a loopback one (so the loopback host names are the safe default). */
export function isLoopbackBind(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
