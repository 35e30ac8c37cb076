import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
  preHandlerHookHandler,
  preSerializationHookHandler,
  RouteOptions,
} from 'fastify';
import { CairnError } from '../core/errors.js';
import { RequestSlot } from '../server/request-slot.js';
import { type ListScope, setListScope } from '../server/visibility.js';
import { type AccessControl, permissionDenied } from './access.js';
import { parseAuthorization, REALM, unauthenticated } from './credentials.js';
import type { Rule, RuleContext, RuleTable } from './rules.js';
import type { AuthService } from './service.js';
import type { SignedInUser } from './types.js';

export interface InstallAuthOptions {
  auth: AuthService;
  access: AccessControl;
  /** Rules keyed `METHOD /path`, the path without any of `prefixes`. */
  rules: RuleTable;
  /** Path prefixes the table leaves out (`/api/2.0`, `/ajax-api/2.0`). Longest first is not required. */
  prefixes?: readonly string[];
}

/** One registered route and the rule that guards it (undefined: none, so it is denied). */
export interface CoveredRoute {
  method: string;
  url: string;
  key: string;
  rule: Rule | undefined;
}

const COVERAGE = new WeakMap<FastifyInstance, CoveredRoute[]>();
/** The signed-in user, on the request itself (see RequestSlot: not a WeakMap, for the GC's sake). */
const USERS = new RequestSlot<SignedInUser>('cairn.signedInUser');

/** Every route registered since installAuth, with its rule (for the test that walks the table). */
export function authCoverage(app: FastifyInstance): readonly CoveredRoute[] {
  return COVERAGE.get(app) ?? [];
}

/** The signed-in user of a request (undefined on public routes or when auth is off). */
export function currentUser(req: FastifyRequest): SignedInUser | undefined {
  return USERS.get(req);
}

/** The table key of a route: its method and its path without the prefix or a trailing slash. */
export function ruleKey(method: string, url: string, prefixes: readonly string[] = []): string {
  let path = url;
  for (const p of [...prefixes].sort((a, b) => b.length - a.length)) {
    if (path === p || path.startsWith(`${p}/`)) {
      path = path.slice(p.length);
      break;
    }
  }
  if (path.length > 1 && path.endsWith('/') && !path.endsWith('*/')) path = path.slice(0, -1);
  return `${method === 'HEAD' ? 'GET' : method} ${path || '/'}`;
}

/**
 * Fail-closed authentication and permissions for a Fastify app. Call it before registering any
 * route: it sees each route as it is added (onRoute) and attaches its guard: the route's own
 * `config.auth` rule, else the table's rule for `METHOD /path`, else a guard that refuses
 * everyone (403). Credentials are checked before the body is read; permissions after.
 */
export function installAuth(app: FastifyInstance, options: InstallAuthOptions): void {
  const covered: CoveredRoute[] = [];
  COVERAGE.set(app, covered);
  USERS.install(app);
  const prefixes = options.prefixes ?? [];

  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const own = (route.config as { auth?: Rule } | undefined)?.auth;
    const byMethod = new Map<string, Rule | undefined>();
    for (const method of methods) {
      const key = ruleKey(method, route.url, prefixes);
      const rule = own ?? (Object.hasOwn(options.rules, key) ? options.rules[key] : undefined);
      byMethod.set(method, rule);
      covered.push({ method, url: route.url, key, rule });
    }
    // Exactly the request's method: a method without a rule never borrows another's.
    const ruleOf = (req: FastifyRequest) => byMethod.get(req.method);
    prepend(route, 'onRequest', guard(authenticate(options, ruleOf)));
    prepend(route, 'preHandler', guard(authorize(options, ruleOf)));
    append(route, 'preSerialization', guard(afterSuccess(options, ruleOf)));
  });
}

type RuleOf = (req: FastifyRequest) => Rule | undefined;

function authenticate({ auth }: InstallAuthOptions, ruleOf: RuleOf): onRequestHookHandler {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (ruleOf(req)?.public) return;
    try {
      const credentials = parseAuthorization(req.headers.authorization);
      if (!credentials)
        throw unauthenticated('Authentication required: send HTTP Basic credentials or a Bearer token.');
      USERS.set(req, await auth.authenticate(credentials));
    } catch (e) {
      if (e instanceof CairnError && e.code === 'UNAUTHENTICATED')
        void reply.header('WWW-Authenticate', `Basic realm="${REALM}", charset="UTF-8"`);
      throw e;
    }
  };
}

function authorize({ access }: InstallAuthOptions, ruleOf: RuleOf): preHandlerHookHandler {
  return async (req: FastifyRequest) => {
    const rule = ruleOf(req);
    if (rule?.public) return;
    const user = USERS.get(req);
    if (!user) throw unauthenticated();
    if (!rule)
      throw permissionDenied(
        `Permission denied: no access rule covers ${req.method} ${req.routeOptions.url}.`,
      );
    const ctx: RuleContext = { user, access, req };
    await rule.check(ctx);
    if (rule.lists && rule.lists.length > 0) {
      const scope: ListScope = {};
      if (rule.lists.includes('experiments')) {
        const v = await access.visibleExperiments(user);
        if (v) scope.experiments = v;
      }
      if (rule.lists.includes('registeredModels')) {
        const v = await access.visibleRegisteredModels(user);
        if (v) scope.registeredModels = v;
      }
      setListScope(req, scope);
    }
  };
}

function afterSuccess({ access }: InstallAuthOptions, ruleOf: RuleOf): preSerializationHookHandler<unknown> {
  return async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const rule = ruleOf(req);
    const user = USERS.get(req);
    if (rule && !rule.public && rule.after && user && reply.statusCode < 300)
      await rule.after({ user, access, req }, payload);
    return payload;
  };
}

type HookName = 'onRequest' | 'preHandler' | 'preSerialization';

function hooksOf(route: RouteOptions, name: HookName): unknown[] {
  const existing = (route as unknown as Record<HookName, unknown>)[name];
  return existing === undefined ? [] : Array.isArray(existing) ? existing : [existing];
}

const GUARD = Symbol('cairn.authGuard');

/** Marks our hooks, so a route whose options are copied (Fastify's HEAD routes) is not guarded twice. */
function guard<T extends object>(hook: T): T {
  return Object.assign(hook, { [GUARD]: true });
}

function others(route: RouteOptions, name: HookName): unknown[] {
  return hooksOf(route, name).filter((h) => !(h as Record<symbol, unknown>)[GUARD]);
}

function prepend(route: RouteOptions, name: HookName, hook: unknown): void {
  (route as unknown as Record<HookName, unknown>)[name] = [hook, ...others(route, name)];
}

function append(route: RouteOptions, name: HookName, hook: unknown): void {
  (route as unknown as Record<HookName, unknown>)[name] = [...others(route, name), hook];
}
