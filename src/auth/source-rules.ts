import { invalidParam } from '../core/errors.js';
import { safeArtifactPath } from '../core/safe-path.js';
import { checkModelSource } from '../registry/source.js';
import { permissionDenied } from './access.js';
import type { Rule, RuleContext } from './rules.js';
import type { Permission } from './types.js';

function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/**
 * A path under the artifact root: `<experiment_id>/<run_id>/…` belongs to that experiment. The
 * root itself, and anything not in an experiment's own folder, is for admins only.
 */
async function requireArtifactPath(ctx: RuleContext, raw: string, level: Permission): Promise<void> {
  const rel = safeArtifactPath(raw);
  const first = rel.split('/')[0] ?? '';
  // Only an experiment's own folder (its id written canonically: `7`, not `07`) belongs to it.
  if (!/^(0|[1-9]\d{0,14})$/.test(first)) {
    if (!ctx.user.isAdmin)
      throw permissionDenied(
        'Permission denied: only an admin may use artifact paths outside an experiment.',
      );
    return;
  }
  await ctx.access.requireExperiment(ctx.user, first, level);
}

/** The artifact proxy's `/artifacts/<path>` (download, upload, delete) and `/artifacts?path=` (list). */
export function proxyPath(level: Permission): Rule {
  return {
    check: async (ctx) => {
      const wildcard = asRecord(ctx.req.params)['*'];
      const raw = typeof wildcard === 'string' ? wildcard : asRecord(ctx.req.query)['path'];
      if (raw !== undefined && typeof raw !== 'string')
        throw invalidParam("Invalid value for parameter 'path' supplied.");
      await requireArtifactPath(ctx, raw ?? '', level);
    },
  };
}

/**
 * Registering a version reads files: READ is needed on whatever its source, run_id and model_id
 * point at (the run's experiment, the logged model's experiment, the experiment folder of an
 * artifact path, or the registered model a `models:/name/…` source copies).
 */
export function versionSource(allowedSourceRoots: readonly string[]): Rule {
  return {
    check: async (ctx) => {
      const body = asRecord(ctx.req.body);
      const { user, access } = ctx;
      const runId = body['run_id'];
      if (typeof runId === 'string' && runId !== '') await access.requireRun(user, runId, 'READ');
      const modelId = body['model_id'];
      if (typeof modelId === 'string' && modelId !== '')
        await access.requireLoggedModel(user, modelId, 'READ');
      const source = checkModelSource(body['source'], allowedSourceRoots);
      if (source.kind === 'runs') await access.requireRun(user, source.runId, 'READ');
      else if (source.kind === 'mlflow-artifacts' || source.kind === 'location')
        await requireArtifactPath(ctx, source.path, 'READ');
      else {
        const logged = /^(m-[0-9a-f]{32})(?:\/|$)/.exec(source.path);
        if (logged) await access.requireLoggedModel(user, logged[1]!, 'READ');
        else await access.requireRegisteredModel(user, source.path.split(/[/@]/)[0] ?? '', 'READ');
      }
    },
  };
}

/** A version's lineage: READ on the run it came from too (the registered model is checked separately). */
export const versionRun: Rule = {
  check: async (ctx) => {
    const q = asRecord(ctx.req.query);
    const [name, version] = [q['name'], q['version']];
    if (typeof name === 'string' && typeof version === 'string')
      await ctx.access.requireVersionRun(ctx.user, name, version);
  },
};

/** `runs/outputs`: EDIT on the run is checked separately; READ on every logged model it links. */
export const outputModels: Rule = {
  check: async (ctx) => {
    const models = asRecord(ctx.req.body)['models'];
    if (!Array.isArray(models)) return;
    for (const m of models) {
      const id = asRecord(m)['model_id'];
      if (typeof id === 'string' && id !== '') await ctx.access.requireLoggedModel(ctx.user, id, 'READ');
    }
  },
};

/** The user named by `username` (absent: the caller) must be the caller, unless the caller is an admin. */
async function requireSelfOrAdmin(ctx: RuleContext): Promise<void> {
  if (ctx.user.isAdmin) return;
  for (const n of [asRecord(ctx.req.query)['username'], asRecord(ctx.req.body)['username']]) {
    if (n !== undefined && n !== ctx.user.username)
      throw permissionDenied('Permission denied: only an admin may act for another user.');
  }
}

export const selfOrAdmin: Rule = { check: requireSelfOrAdmin };

/**
 * Changing one's password or minting a token needs the password itself (Basic username:password),
 * not an API token: a leaked token must not be able to take the account over or outlive its revocation.
 */
export const selfWithPassword: Rule = {
  check: async (ctx) => {
    await requireSelfOrAdmin(ctx);
    if (!ctx.user.isAdmin && ctx.user.via !== 'password')
      throw permissionDenied('Permission denied: sign in with your password (not a token) to do this.');
  },
};
