import { allOf, fixed, PUBLIC, type Rule, type RuleTable, registeredModel, signedIn } from '../auth/rules.js';
import type { ServerAuth } from '../auth/server-auth.js';
import { openServerAuth } from '../auth/server-auth.js';
import type { Permission } from '../auth/types.js';
import { invalidParam } from '../core/errors.js';
import { openMetadataDb } from '../store/db.js';

/** `cairn serve --auth`: users, tokens and grants read from a metadata store, as `cairn server --auth`. */
export interface ServingAuth extends ServerAuth {
  close(): Promise<void>;
}

export interface ServingAuthOptions {
  /** The metadata store holding users and grants (`sqlite:///…`, `postgresql://…`). */
  storeUri: string;
  defaultPermission?: Permission;
  env?: NodeJS.ProcessEnv;
}

/**
 * Opens the users and grants of a metadata store for a scoring server. The store must be a
 * database (the one `cairn server --auth` runs on), not a remote server: credentials are checked
 * here, against the same hashes.
 */
export async function openServingAuth(o: ServingAuthOptions): Promise<ServingAuth> {
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(o.storeUri))
    throw invalidParam(
      `Serving with --auth needs the users' metadata store (sqlite:///… or postgresql://…), got '${o.storeUri}'. Pass --auth-store.`,
    );
  const handle = await openMetadataDb(o.storeUri);
  try {
    const server = await openServerAuth(handle, {
      ...(o.defaultPermission ? { defaultPermission: o.defaultPermission } : {}),
      ...(o.env ? { env: o.env } : {}),
    });
    return { auth: server.auth, access: server.access, close: () => handle.close() };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/**
 * The scoring server's rule table. Health, readiness and version are public (load balancers probe
 * them); scoring and model metadata need READ on every registered model the deployment serves
 * (any signed-in user for a model served from a directory); posting feedback labels needs EDIT;
 * `/metrics` any signed-in user (Prometheus sends a bearer token).
 */
export function servingRules(registeredModels: readonly string[]): RuleTable {
  const on = (level: Permission): Rule =>
    registeredModels.length === 0
      ? signedIn
      : allOf(...registeredModels.map((name) => registeredModel(level, fixed(name))));
  const read = on('READ');
  const table: Record<string, Rule> = {
    'GET /ping': PUBLIC,
    'GET /health': PUBLIC,
    'GET /version': PUBLIC,
    'GET /v2': PUBLIC,
    'GET /v2/health/live': PUBLIC,
    'GET /v2/health/ready': PUBLIC,
    'GET /metrics': signedIn,
    'POST /invocations': read,
    'POST /feedback': on('EDIT'),
  };
  for (const suffix of ['', '/versions/:version']) {
    table[`GET /v2/models/:name${suffix}`] = read;
    table[`GET /v2/models/:name${suffix}/ready`] = read;
    table[`POST /v2/models/:name${suffix}/infer`] = read;
  }
  return table;
}
