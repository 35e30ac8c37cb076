import type { FastifyRequest } from 'fastify';
import { invalidParam } from '../core/errors.js';
import type { AccessControl } from './access.js';
import { permissionDenied } from './access.js';
import type { Permission, SignedInUser } from './types.js';

/** What a rule sees: the signed-in user, the permission checks, and the request. */
export interface RuleContext {
  user: SignedInUser;
  access: AccessControl;
  req: FastifyRequest;
}

/** The lists a route returns, which the permission layer narrows (see server/visibility.ts). */
export type ListKind = 'experiments' | 'registeredModels';

/**
 * How one route is guarded. `public` routes skip authentication; every other rule runs after
 * authentication, `check` throwing PERMISSION_DENIED (or RESOURCE_DOES_NOT_EXIST) to refuse.
 * `lists` names the lists the handler narrows; `after` runs once the handler succeeded (e.g. the
 * creator of an experiment gets MANAGE on it) with the response object.
 */
export type Rule =
  | { readonly public: true }
  | {
      readonly public?: false;
      check(ctx: RuleContext): Promise<void>;
      readonly lists?: readonly ListKind[];
      after?(ctx: RuleContext, response: unknown): Promise<void>;
    };

/** Rules keyed `METHOD /path` (the path without the server's prefix, e.g. `/api/2.0`). */
export type RuleTable = Readonly<Record<string, Rule>>;

// ---- reading the ids a request names ----

function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Where to find ids in a request: named fields of the query string and JSON body, or route params. */
export type Source = (req: FastifyRequest) => string[];

/**
 * The values of any of `names` in the query string or body (both are read: a handler that prefers
 * one over the other is still covered). Missing everywhere is a 400, as the handler would say.
 */
export function field(...names: string[]): Source {
  return (req) => {
    const out = new Set<string>();
    for (const where of [asRecord(req.query), asRecord(req.body)]) {
      for (const name of names) {
        const v = where[name];
        if (v === undefined || v === null || v === '') continue;
        if (typeof v === 'string') out.add(v);
        else if (typeof v === 'number' && Number.isFinite(v)) out.add(String(v));
        else throw invalidParam(`Invalid value for parameter '${name}' supplied.`);
      }
    }
    if (out.size === 0) throw invalidParam(`Missing value for required parameter '${names[0]}'.`);
    return [...out];
  };
}

/** Like field, but a list (`run_ids=a&run_ids=b`, or a JSON array) and possibly empty. */
export function listField(name: string): Source {
  return (req) => {
    const out = new Set<string>();
    for (const where of [asRecord(req.query), asRecord(req.body)]) {
      const v = where[name];
      for (const item of Array.isArray(v) ? v : v === undefined ? [] : [v]) {
        if (typeof item === 'string' || (typeof item === 'number' && Number.isFinite(item)))
          out.add(String(item));
        else throw invalidParam(`Invalid value for parameter '${name}' supplied.`);
      }
    }
    return [...out];
  };
}

/** A route parameter (`/logged-models/:model_id`). */
export function param(name: string): Source {
  return (req) => {
    const v = asRecord(req.params)[name];
    if (typeof v !== 'string' || v === '')
      throw invalidParam(`Missing value for required parameter '${name}'.`);
    return [v];
  };
}

/** Always the same ids (e.g. the registered model a serving process serves). */
export function fixed(...ids: string[]): Source {
  return () => ids;
}

/** A fixed value when no field is given (runs/create defaults to experiment '0'). */
export function orDefault(source: Source, fallback: string): Source {
  return (req) => {
    try {
      return source(req);
    } catch (e) {
      if (e instanceof Error && /Missing value/.test(e.message)) return [fallback];
      throw e;
    }
  };
}

// ---- rule builders ----

export const PUBLIC: Rule = { public: true };

/** Any signed-in user. */
export const signedIn: Rule = { check: async () => {} };

export const adminOnly: Rule = {
  check: async ({ user }) => {
    if (!user.isAdmin) throw permissionDenied('Permission denied: only an admin may do this.');
  },
};

type Guard = (ctx: RuleContext, id: string) => Promise<void>;

function guarded(source: Source, guard: Guard): Rule {
  return {
    check: async (ctx) => {
      for (const id of source(ctx.req)) await guard(ctx, id);
    },
  };
}

export const experiment = (level: Permission, source: Source): Rule =>
  guarded(source, (c, id) => c.access.requireExperiment(c.user, id, level));
export const experimentNamed = (level: Permission, source: Source): Rule =>
  guarded(source, (c, name) => c.access.requireExperimentNamed(c.user, name, level));
export const run = (level: Permission, source: Source): Rule =>
  guarded(source, (c, id) => c.access.requireRun(c.user, id, level));
export const loggedModel = (level: Permission, source: Source): Rule =>
  guarded(source, (c, id) => c.access.requireLoggedModel(c.user, id, level));
export const registeredModel = (level: Permission, source: Source): Rule =>
  guarded(source, (c, id) => c.access.requireRegisteredModel(c.user, id, level));

/** Every rule must pass (e.g. EDIT on the model and READ on the run a version comes from). */
export function allOf(...rules: Rule[]): Rule {
  const lists = rules.flatMap((r) => (r.public ? [] : (r.lists ?? [])));
  return {
    lists,
    check: async (ctx) => {
      for (const r of rules) if (!r.public) await r.check(ctx);
    },
  };
}

/** Any signed-in user; the handler's list of `kinds` is narrowed to what the user may read. */
export function listing(...kinds: ListKind[]): Rule {
  return { lists: kinds, check: async () => {} };
}

/** With an `after` step (run once the handler succeeded). */
export function afterSuccess(
  rule: Rule,
  after: (ctx: RuleContext, response: unknown) => Promise<void>,
): Rule {
  if (rule.public) throw new Error('A public rule has no user to act for');
  return { ...rule, after };
}
