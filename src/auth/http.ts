import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { alreadyExists, notFound } from '../core/errors.js';
import { parseRequest, wire } from '../server/request.js';
import { currentUser } from './install.js';
import type { AuthService } from './service.js';
import { type ApiTokenInfo, PERMISSIONS, type User } from './types.js';

const username = z.object({ username: wire.string });
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
const permission = z.enum(PERMISSIONS);
const experimentGrant = z.object({ experiment_id: wire.id, username: wire.string });
const modelGrant = z.object({ name: wire.string, username: wire.string });

function input(req: FastifyRequest): unknown {
  if (req.method === 'GET') return req.query;
  if (req.method === 'DELETE') return { ...asObject(req.query), ...asObject(req.body) };
  return req.body;
}

function asObject(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function me(req: FastifyRequest): User {
  const user = currentUser(req);
  if (!user) throw notFound('No signed-in user.');
  return user;
}

/**
 * MLflow's basic-auth admin routes under `/api/2.0/mlflow` (users, experiment and registered-model
 * permissions). Who may call each is decided by the rule table (server-rules.ts), not here.
 */
export function authAdminRoutes(auth: AuthService) {
  return async function register(app: FastifyInstance): Promise<void> {
    const perms = auth.permissions;

    app.post('/users/create', async (req) => {
      const b = parseRequest(username.extend({ password: wire.string }), req.body);
      return { user: await userToWire(auth, await auth.createUser(b.username, b.password)) };
    });
    app.get('/users/get', async (req) => {
      const q = parseRequest(username, req.query);
      return { user: await userToWire(auth, await auth.getUser(q.username)) };
    });
    app.patch('/users/update-password', async (req) => {
      const b = parseRequest(username.extend({ password: wire.string }), req.body);
      await auth.updatePassword(b.username, b.password);
      return {};
    });
    app.patch('/users/update-admin', async (req) => {
      const b = parseRequest(username.extend({ is_admin: flag }), req.body);
      await auth.updateAdmin(b.username, b.is_admin);
      return {};
    });
    app.delete('/users/delete', async (req) => {
      await auth.deleteUser(parseRequest(username, input(req)).username);
      return {};
    });

    // ---- experiment permissions ----
    app.post('/experiments/permissions/create', async (req) => {
      const b = parseRequest(experimentGrant.extend({ permission }), req.body);
      const user = await auth.getUser(b.username);
      if ((await perms.experimentHolding(b.experiment_id, user.id))?.permission)
        throw alreadyExists(
          `Experiment permission (experiment_id=${b.experiment_id}, username=${b.username}) already exists.`,
        );
      await perms.setExperimentPermission(b.experiment_id, user.id, b.permission);
      return {
        experiment_permission: { experiment_id: b.experiment_id, user_id: user.id, permission: b.permission },
      };
    });
    app.get('/experiments/permissions/get', async (req) => {
      const q = parseRequest(experimentGrant, req.query);
      const user = await auth.getUser(q.username);
      const held = (await perms.experimentHolding(q.experiment_id, user.id))?.permission;
      if (!held)
        throw notFound(
          `Experiment permission with experiment_id=${q.experiment_id} and username=${q.username} not found`,
        );
      return {
        experiment_permission: { experiment_id: q.experiment_id, user_id: user.id, permission: held },
      };
    });
    app.patch('/experiments/permissions/update', async (req) => {
      const b = parseRequest(experimentGrant.extend({ permission }), req.body);
      const user = await auth.getUser(b.username);
      if (!(await perms.experimentHolding(b.experiment_id, user.id))?.permission)
        throw notFound(
          `Experiment permission with experiment_id=${b.experiment_id} and username=${b.username} not found`,
        );
      await perms.setExperimentPermission(b.experiment_id, user.id, b.permission);
      return {};
    });
    app.delete('/experiments/permissions/delete', async (req) => {
      const b = parseRequest(experimentGrant, input(req));
      const user = await auth.getUser(b.username);
      if (!(await perms.deleteExperimentPermission(b.experiment_id, user.id)))
        throw notFound(
          `Experiment permission with experiment_id=${b.experiment_id} and username=${b.username} not found`,
        );
      return {};
    });

    // ---- registered model permissions ----
    app.post('/registered-models/permissions/create', async (req) => {
      const b = parseRequest(modelGrant.extend({ permission }), req.body);
      const user = await auth.getUser(b.username);
      if ((await perms.registeredModelHolding(b.name, user.id))?.permission)
        throw alreadyExists(
          `Registered model permission (name=${b.name}, username=${b.username}) already exists.`,
        );
      await perms.setRegisteredModelPermission(b.name, user.id, b.permission);
      return { registered_model_permission: { name: b.name, user_id: user.id, permission: b.permission } };
    });
    app.get('/registered-models/permissions/get', async (req) => {
      const q = parseRequest(modelGrant, req.query);
      const user = await auth.getUser(q.username);
      const held = (await perms.registeredModelHolding(q.name, user.id))?.permission;
      if (!held)
        throw notFound(
          `Registered model permission with name=${q.name} and username=${q.username} not found`,
        );
      return { registered_model_permission: { name: q.name, user_id: user.id, permission: held } };
    });
    app.patch('/registered-models/permissions/update', async (req) => {
      const b = parseRequest(modelGrant.extend({ permission }), req.body);
      const user = await auth.getUser(b.username);
      if (!(await perms.registeredModelHolding(b.name, user.id))?.permission)
        throw notFound(
          `Registered model permission with name=${b.name} and username=${b.username} not found`,
        );
      await perms.setRegisteredModelPermission(b.name, user.id, b.permission);
      return {};
    });
    app.delete('/registered-models/permissions/delete', async (req) => {
      const b = parseRequest(modelGrant, input(req));
      const user = await auth.getUser(b.username);
      if (!(await perms.deleteRegisteredModelPermission(b.name, user.id)))
        throw notFound(
          `Registered model permission with name=${b.name} and username=${b.username} not found`,
        );
      return {};
    });
  };
}

/**
 * Cairn's own routes under `/api/2.0/cairn`: API tokens (`tokens/create` shows the secret once) and
 * the signed-in user. A token is created for the caller unless an admin names another user.
 */
export function authTokenRoutes(auth: AuthService) {
  return async function register(app: FastifyInstance): Promise<void> {
    app.post('/tokens/create', async (req) => {
      const b = parseRequest(
        z.object({
          username: z.string().optional(),
          name: z.string().max(256).optional(),
          expires_in_seconds: wire.int64.optional(),
        }),
        req.body,
      );
      const owner = b.username ?? me(req).username;
      const expiresTime =
        b.expires_in_seconds !== undefined ? Date.now() + b.expires_in_seconds * 1000 : null;
      const { token, info } = await auth.createToken(owner, {
        ...(b.name !== undefined ? { name: b.name } : {}),
        expiresTime,
      });
      return { token, token_info: tokenToWire(info) };
    });
    app.get('/tokens/list', async (req) => {
      const q = parseRequest(z.object({ username: z.string().optional() }), req.query);
      const tokens = await auth.listTokens(q.username ?? me(req).username);
      return tokens.length > 0 ? { tokens: tokens.map(tokenToWire) } : {};
    });
    app.post('/tokens/revoke', async (req) => {
      const b = parseRequest(z.object({ token_id: wire.int64 }), req.body);
      const user = me(req);
      await auth.revokeToken(b.token_id, user.isAdmin ? undefined : user);
      return {};
    });
    app.get('/users/current', async (req) => ({ user: await userToWire(auth, me(req)) }));
  };
}

async function userToWire(auth: AuthService, user: User): Promise<Record<string, unknown>> {
  const [experiments, models] = await Promise.all([
    auth.permissions.listExperimentPermissions(user.id),
    auth.permissions.listRegisteredModelPermissions(user.id),
  ]);
  return {
    id: user.id,
    username: user.username,
    is_admin: user.isAdmin,
    experiment_permissions: experiments.map((p) => ({
      experiment_id: p.experimentId,
      user_id: user.id,
      permission: p.permission,
    })),
    registered_model_permissions: models.map((p) => ({
      name: p.name,
      user_id: user.id,
      permission: p.permission,
    })),
  };
}

function tokenToWire(t: ApiTokenInfo): Record<string, unknown> {
  return {
    token_id: t.id,
    name: t.name,
    created_time: t.createdTime,
    ...(t.expiresTime !== null ? { expires_time: t.expiresTime } : {}),
    ...(t.lastUsedTime !== null ? { last_used_time: t.lastUsedTime } : {}),
  };
}
