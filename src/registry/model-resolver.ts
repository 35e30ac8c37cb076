import { CairnError } from '../core/errors.js';
import { scopedArtifactStore } from '../store/artifact-backends.js';
import type { ArtifactStore } from '../store/artifact-store.js';
import { artifactStoreForUri } from '../store/artifact-uri.js';
import { LocalArtifactStore } from '../store/local-artifact-store.js';
import type { LoggedModelService } from '../tracking/logged-models-service.js';
import type { TrackingService } from '../tracking/service.js';
import { type ModelUri, parseModelUri } from './model-uri.js';
import type { RegistryService } from './service.js';
import { checkModelSource } from './source.js';
import type { ModelVersion } from './types.js';

export interface ModelResolverDeps {
  tracking: TrackingService;
  registry: RegistryService;
  loggedModels: LoggedModelService;
  /** Where `mlflow-artifacts:/…` points: the artifact destination, or a server's artifact proxy. */
  proxyRoot: ArtifactStore;
  /** Local directories (or URI roots) that model sources and local model paths may lie under. */
  allowedRoots?: readonly string[];
}

export interface ResolvedModel {
  /** The URI as given. */
  uri: string;
  /** The model directory's files, as a store rooted at the model directory. */
  store: ArtifactStore;
  /** The registry version the URI named, if it named one. */
  modelVersion?: ModelVersion;
}

const MAX_DEPTH = 4;

/**
 * The one resolver of model URIs (serving, the SDK and the CLI use it): a registry reference
 * (`models:/name/1`, `…/Production`, `…/latest`, `…@alias`) becomes its version's source, which
 * resolves in turn; `runs:/` goes through the run's artifact URI; `models:/m-<id>` through the
 * logged model; `mlflow-artifacts:/` under the proxy root; a local path only under an allowed
 * root. Anything else is refused with INVALID_PARAMETER_VALUE.
 */
export async function resolveModelUri(
  uri: string,
  deps: ModelResolverDeps,
  depth = 0,
): Promise<ResolvedModel> {
  if (depth > MAX_DEPTH) {
    throw new CairnError(
      'INVALID_PARAMETER_VALUE',
      `Model URI '${uri}' refers through more than ${MAX_DEPTH} sources`,
    );
  }
  const parsed = parseModelUri(uri);
  const version = await registryVersion(parsed, deps.registry);
  if (version) {
    const source = version.source;
    checkModelSource(source, deps.allowedRoots ?? []);
    const inner = await resolveModelUri(source, deps, depth + 1);
    return { uri, store: inner.store, modelVersion: version };
  }
  return { uri, store: await storeFor(parsed, uri, deps) };
}

async function registryVersion(u: ModelUri, registry: RegistryService): Promise<ModelVersion | undefined> {
  switch (u.kind) {
    case 'version':
      return registry.getModelVersion(u.name, u.version);
    case 'alias':
      return registry.getModelVersionByAlias(u.name, u.alias);
    case 'stage': {
      const [latest] = await registry.getLatestVersions(u.name, [u.stage]);
      if (!latest)
        throw new CairnError(
          'RESOURCE_DOES_NOT_EXIST',
          `No version of model '${u.name}' is in stage '${u.stage}'`,
        );
      return latest;
    }
    case 'latest': {
      const all = await registry.getLatestVersions(u.name);
      const newest = all.sort((a, b) => Number(b.version) - Number(a.version))[0];
      if (!newest) throw new CairnError('RESOURCE_DOES_NOT_EXIST', `Model '${u.name}' has no versions`);
      return newest;
    }
    default:
      return undefined;
  }
}

async function storeFor(u: ModelUri, uri: string, deps: ModelResolverDeps): Promise<ArtifactStore> {
  switch (u.kind) {
    case 'runs': {
      const run = await deps.tracking.getRun(u.runId);
      return scopedArtifactStore(
        artifactStoreForUri(run.info.artifact_uri, { proxyRoot: deps.proxyRoot }),
        u.path,
      );
    }
    case 'logged': {
      const location = await deps.loggedModels.loggedModelArtifactUri(u.modelId);
      return artifactStoreForUri(location, { proxyRoot: deps.proxyRoot });
    }
    case 'artifacts':
      return scopedArtifactStore(deps.proxyRoot, u.path);
    case 'local': {
      const checked = checkModelSource(u.path, deps.allowedRoots ?? []);
      if (checked.kind !== 'location')
        throw new CairnError('INVALID_PARAMETER_VALUE', `Invalid model path '${uri}'`);
      const root = checked.root.replace(/^file:\/\//, '');
      return scopedArtifactStore(new LocalArtifactStore(root), checked.path);
    }
    default:
      throw new CairnError('INVALID_PARAMETER_VALUE', `Cannot resolve model URI '${uri}'`);
  }
}
