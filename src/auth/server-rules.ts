import {
  adminOnly,
  afterSuccess,
  allOf,
  experiment,
  experimentNamed,
  field,
  listField,
  listing,
  loggedModel,
  orDefault,
  PUBLIC,
  param,
  type Rule,
  type RuleTable,
  registeredModel,
  run,
  signedIn,
} from './rules.js';
import {
  outputModels,
  proxyPath,
  selfOrAdmin,
  selfWithPassword,
  versionRun,
  versionSource,
} from './source-rules.js';

/** The prefixes `cairn server` mounts MLflow's API under; rule keys leave them out. */
export const SERVER_PREFIXES = ['/api/2.0', '/ajax-api/2.0'] as const;

const experimentId = field('experiment_id');
const runId = field('run_id', 'run_uuid');
const modelName = field('name');
const modelId = param('model_id');

const asRecord = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** The creator of an experiment manages it. */
const createExperiment = afterSuccess(signedIn, async ({ user, access }, response) => {
  const id = asRecord(response)['experiment_id'];
  if (typeof id === 'string') await access.grantCreatorExperiment(user, id);
});

/** The creator of a registered model manages it. */
const createRegisteredModel = afterSuccess(signedIn, async ({ user, access }, response) => {
  const name = asRecord(asRecord(response)['registered_model'])['name'];
  if (typeof name === 'string') await access.grantCreatorRegisteredModel(user, name);
});

/**
 * The rule of every route `cairn server` registers (buildApp + the auth routes). A route missing
 * here is refused to everyone (installAuth); test/security/route-rules.test.ts walks the routes.
 * Levels follow MLflow: reading needs READ, changing EDIT, deleting and granting MANAGE.
 */
export function serverRules(options: { allowedSourceRoots?: readonly string[] } = {}): RuleTable {
  const rm = (level: 'READ' | 'EDIT' | 'MANAGE'): Rule => registeredModel(level, modelName);
  const exp = (level: 'READ' | 'EDIT' | 'MANAGE'): Rule => experiment(level, experimentId);
  const onRun = (level: 'READ' | 'EDIT' | 'MANAGE'): Rule => run(level, runId);
  return {
    'GET /health': PUBLIC,
    'GET /version': PUBLIC,

    // ---- experiments ----
    'POST /mlflow/experiments/create': createExperiment,
    'GET /mlflow/experiments/get': exp('READ'),
    'GET /mlflow/experiments/get-by-name': experimentNamed('READ', field('experiment_name')),
    'POST /mlflow/experiments/search': listing('experiments'),
    'GET /mlflow/experiments/search': listing('experiments'),
    'GET /mlflow/experiments/list': listing('experiments'),
    'POST /mlflow/experiments/update': exp('EDIT'),
    'POST /mlflow/experiments/delete': exp('MANAGE'),
    'POST /mlflow/experiments/restore': exp('MANAGE'),
    'POST /mlflow/experiments/set-experiment-tag': exp('EDIT'),
    'POST /mlflow/experiments/delete-experiment-tag': exp('EDIT'),

    // ---- runs and metrics ----
    'POST /mlflow/runs/create': experiment('EDIT', orDefault(experimentId, '0')),
    'POST /mlflow/runs/update': onRun('EDIT'),
    'POST /mlflow/runs/delete': onRun('MANAGE'),
    'POST /mlflow/runs/restore': onRun('MANAGE'),
    'GET /mlflow/runs/get': onRun('READ'),
    'POST /mlflow/runs/log-metric': onRun('EDIT'),
    'POST /mlflow/runs/log-parameter': onRun('EDIT'),
    'POST /mlflow/runs/set-tag': onRun('EDIT'),
    'POST /mlflow/runs/delete-tag': onRun('EDIT'),
    'POST /mlflow/runs/log-batch': onRun('EDIT'),
    'POST /mlflow/runs/log-inputs': onRun('EDIT'),
    'POST /mlflow/runs/search': listing('experiments'),
    'GET /mlflow/metrics/get-history': onRun('READ'),
    'GET /mlflow/metrics/get-history-bulk-interval': run('READ', listField('run_ids')),

    // ---- logged models ----
    'POST /mlflow/logged-models': exp('EDIT'),
    'POST /mlflow/logged-models/search': listing('experiments'),
    'GET /mlflow/logged-models/:model_id': loggedModel('READ', modelId),
    'PATCH /mlflow/logged-models/:model_id': loggedModel('EDIT', modelId),
    'DELETE /mlflow/logged-models/:model_id': loggedModel('MANAGE', modelId),
    'PATCH /mlflow/logged-models/:model_id/tags': loggedModel('EDIT', modelId),
    'DELETE /mlflow/logged-models/:model_id/tags/*': loggedModel('EDIT', modelId),
    'POST /mlflow/logged-models/:model_id/params': loggedModel('EDIT', modelId),
    'POST /mlflow/runs/outputs': allOf(run('EDIT', field('run_id')), outputModels),

    // ---- registered models, aliases ----
    'POST /mlflow/registered-models/create': createRegisteredModel,
    'GET /mlflow/registered-models/get': rm('READ'),
    'POST /mlflow/registered-models/rename': rm('EDIT'),
    'PATCH /mlflow/registered-models/update': rm('EDIT'),
    'DELETE /mlflow/registered-models/delete': rm('MANAGE'),
    'GET /mlflow/registered-models/search': listing('registeredModels'),
    'POST /mlflow/registered-models/get-latest-versions': rm('READ'),
    'GET /mlflow/registered-models/get-latest-versions': rm('READ'),
    'POST /mlflow/registered-models/set-tag': rm('EDIT'),
    'DELETE /mlflow/registered-models/delete-tag': rm('EDIT'),
    'POST /mlflow/registered-models/alias': rm('EDIT'),
    'DELETE /mlflow/registered-models/alias': rm('EDIT'),
    'GET /mlflow/registered-models/alias': rm('READ'),

    // ---- model versions, lineage ----
    'POST /mlflow/model-versions/create': allOf(rm('EDIT'), versionSource(options.allowedSourceRoots ?? [])),
    'GET /mlflow/model-versions/get': rm('READ'),
    'PATCH /mlflow/model-versions/update': rm('EDIT'),
    'POST /mlflow/model-versions/transition-stage': rm('EDIT'),
    'DELETE /mlflow/model-versions/delete': rm('MANAGE'),
    'GET /mlflow/model-versions/search': listing('registeredModels'),
    'GET /mlflow/model-versions/get-download-uri': rm('READ'),
    'POST /mlflow/model-versions/set-tag': rm('EDIT'),
    'DELETE /mlflow/model-versions/delete-tag': rm('EDIT'),
    'GET /cairn/model-versions/lineage': allOf(rm('READ'), versionRun),

    // ---- artifacts ----
    'GET /mlflow/artifacts/list': onRun('READ'),
    'GET /mlflow-artifacts/artifacts': proxyPath('READ'),
    'GET /mlflow-artifacts/artifacts/*': proxyPath('READ'),
    'PUT /mlflow-artifacts/artifacts/*': proxyPath('EDIT'),
    'DELETE /mlflow-artifacts/artifacts/*': proxyPath('EDIT'),
    'GET /get-artifact': onRun('READ'),

    // ---- users, permissions, tokens (src/auth/http.ts) ----
    'POST /mlflow/users/create': adminOnly,
    'GET /mlflow/users/get': selfOrAdmin,
    'PATCH /mlflow/users/update-password': selfWithPassword,
    'PATCH /mlflow/users/update-admin': adminOnly,
    'DELETE /mlflow/users/delete': adminOnly,
    'POST /mlflow/experiments/permissions/create': exp('MANAGE'),
    'GET /mlflow/experiments/permissions/get': exp('MANAGE'),
    'PATCH /mlflow/experiments/permissions/update': exp('MANAGE'),
    'DELETE /mlflow/experiments/permissions/delete': exp('MANAGE'),
    'POST /mlflow/registered-models/permissions/create': rm('MANAGE'),
    'GET /mlflow/registered-models/permissions/get': rm('MANAGE'),
    'PATCH /mlflow/registered-models/permissions/update': rm('MANAGE'),
    'DELETE /mlflow/registered-models/permissions/delete': rm('MANAGE'),
    'POST /cairn/tokens/create': selfWithPassword,
    'GET /cairn/tokens/list': selfOrAdmin,
    'POST /cairn/tokens/revoke': signedIn,
    'GET /cairn/users/current': signedIn,
  };
}
