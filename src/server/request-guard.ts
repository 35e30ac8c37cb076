import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { CairnError } from '../core/errors.js';
import { type AllowedHosts, hostAllowed } from './allowed-hosts.js';
import {
  corsResponseHeaders,
  isForeignWrite,
  type OriginRule,
  originAllowed,
  preflightHeaders,
} from './cors.js';

export interface RequestGuardOptions {
  hosts: AllowedHosts;
  cors: OriginRule | undefined;
  defaultBodyLimit: number;
  allowNul: boolean;
}

/**
 * The checks every request passes before routing work starts (an `onRequest` hook), in order:
 * allowed `Host`, no NUL in the URL, `Content-Length` within the route's limit, CORS (an allowed
 * origin's preflight is answered here), and the cross-site write guard. A callback-style hook:
 * an async one costs a promise and a microtask turn on every request.
 */
export function requestGuard(o: RequestGuardOptions): onRequestHookHandler {
  return (req, reply, done) => {
    let answered: boolean;
    try {
      answered = checkRequest(req, reply, o);
    } catch (e) {
      done(e as Error);
      return;
    }
    if (!answered) done();
  };
}

/** Runs the checks; throws the first refusal. True when the request was answered (a preflight). */
function checkRequest(req: FastifyRequest, reply: FastifyReply, o: RequestGuardOptions): boolean {
  const host = req.headers.host;
  if (!hostAllowed(host, o.hosts)) {
    throw new CairnError(
      'PERMISSION_DENIED',
      `Host '${shown(host)}' is not allowed. Start the server with --allowed-hosts naming it.`,
    );
  }
  // `%00` has no letters: no case to fold.
  if (!o.allowNul && req.url.includes('%00')) {
    throw new CairnError('INVALID_PARAMETER_VALUE', 'The URL may not hold a NUL character (%00).');
  }
  const length = req.headers['content-length'];
  const limit = req.routeOptions.bodyLimit ?? o.defaultBodyLimit;
  if (length !== undefined && Number(length) > limit) {
    throw new CairnError('REQUEST_PAYLOAD_TOO_LARGE', `Request body is too large (limit ${limit} bytes).`);
  }
  const origin = req.headers.origin;
  // Without an Origin there is neither CORS nor a cross-site write to judge.
  if (origin === undefined) return false;
  if (originAllowed(origin, o.cors)) {
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      void reply.code(204).headers(preflightHeaders(origin)).send();
      return true;
    }
    void reply.headers(corsResponseHeaders(origin));
  }
  // Behind a proxy that rewrites Host, the public name arrives as X-Forwarded-Host. A cross-site
  // page cannot set that header without a preflight, which CORS refuses, so it is safe to trust here.
  const forwarded = req.headers['x-forwarded-host'];
  const ownHosts = [
    host,
    ...(typeof forwarded === 'string' ? forwarded.split(',').map((h) => h.trim()) : []),
  ];
  if (isForeignWrite(req.method, origin, ownHosts, o.cors)) {
    throw new CairnError(
      'PERMISSION_DENIED',
      `Cross-origin ${req.method} from '${shown(origin)}' refused. Allow the origin with --cors-allowed-origins.`,
    );
  }
  return false;
}

/** A header value for an error message: printable ASCII only, cut at 100 characters. */
function shown(value: string | undefined): string {
  if (value === undefined) return '';
  const clean = value.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 100 ? `${clean.slice(0, 100)}…` : clean;
}
