import type { FastifyRequest } from 'fastify';
import type { Visibility } from '../core/visibility.js';

/** What the caller of one request may list, set by the permission layer (src/auth) before the handler. */
export interface ListScope {
  experiments?: Visibility;
  registeredModels?: Visibility;
}

const SCOPE = Symbol.for('cairn.listScope');

export function setListScope(req: FastifyRequest, scope: ListScope): void {
  (req as unknown as Record<symbol, ListScope>)[SCOPE] = scope;
}

/** The request's list scope; empty (everything) when auth is off. */
export function listScope(req: FastifyRequest): ListScope {
  return (req as unknown as Record<symbol, ListScope | undefined>)[SCOPE] ?? {};
}
