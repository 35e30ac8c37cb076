import type { Backends } from '../backends.js';
import { CairnError } from '../core/errors.js';
import { isRunId } from '../core/ids.js';
import type { ModelResolverDeps } from '../registry/model-resolver.js';
import type { RegistryService } from '../registry/service.js';
import type { ArtifactStore } from '../store/artifact-store.js';
import { LocalArtifactStore } from '../store/local-artifact-store.js';
import type { LoggedModelService } from '../tracking/logged-models-service.js';
import type { TrackingService } from '../tracking/service.js';
import type { KeyValue, RunInfo, Run as RunRecord, RunStatus } from '../tracking/types.js';
import {
  type CapturedEnvironment,
  captureEnvironment,
  ENV_TAGS,
  type EnvironmentContext,
} from './environment.js';
import type { MetricBufferOptions } from './metric-buffer.js';
import type { DownloadedModel, LoadedModelHandle, LoggedModelResult, LogModelOptions } from './models.js';
import { flattenConfig, keyValues, valueText } from './records.js';
import { Run } from './run.js';

export interface StartRunOptions {
  /** Experiment name; created if there is none (as `mlflow.set_experiment`). */
  experiment?: string;
  experimentId?: string;
  /** The run name; a readable random one if absent. */
  name?: string;
  tags?: Record<string, unknown>;
  /** Recorded as the tag `cairn.seed` and the param `seed`. */
  seed?: number | string;
  /** Tags for user, source, git, Node.js, platform, command, packages, lockfile. Default true. */
  captureEnvironment?: boolean;
}

/** wandb's `init`: project = experiment name, config = params (nested keys joined with dots). */
export interface InitOptions {
  project?: string;
  config?: Record<string, unknown>;
  name?: string;
  /** wandb's labels (each a tag with the value `true`), or key/value tags. */
  tags?: readonly string[] | Record<string, unknown>;
  seed?: number | string;
  captureEnvironment?: boolean;
}

export interface ClientParts {
  uri: string;
  /** The services over the store (embedded or remote), closed with the client. */
  backends: Backends;
  /** Where `mlflow-artifacts:` URIs point: the local artifact root, or the server's artifact proxy. */
  artifactRoot: ArtifactStore;
  env: NodeJS.ProcessEnv;
  metricBuffer?: MetricBufferOptions;
  /** Overrides for environment capture (tests). */
  environment?: Partial<EnvironmentContext>;
}

/** Something that names a run's artifacts: a run handle, a run (or its info), a run id, or an artifact URI. */
export type ArtifactTarget = Run | RunRecord | RunInfo | string;

/**
 * The SDK's entry point (made by `connect`): tracking rules through `tracking`, runs with buffered
 * metrics through `startRun` (or wandb-style `init` / `log` / `finish`), artifacts through `artifactsFor`.
 */
export class CairnClient {
  readonly uri: string;
  readonly mode: 'embedded' | 'remote';
  readonly tracking: TrackingService;
  readonly registry: RegistryService;
  readonly loggedModels: LoggedModelService;
  readonly artifactRoot: ArtifactStore;
  private readonly parts: ClientParts;
  private readonly runs = new Set<Run>();
  private current: Run | undefined;
  private closing: Promise<void> | undefined;

  constructor(parts: ClientParts) {
    this.parts = parts;
    this.uri = parts.uri;
    this.mode = parts.backends.mode;
    this.tracking = parts.backends.tracking;
    this.registry = parts.backends.registry;
    this.loggedModels = parts.backends.loggedModels;
    this.artifactRoot = parts.artifactRoot;
  }

  /** Logs a model file (ONNX, XGBoost JSON/UBJ, or a JS module) as an MLflow model of `run`. */
  async logModel(run: Run, modelFile: string, options: LogModelOptions = {}): Promise<LoggedModelResult> {
    this.checkOpen();
    // The model format and flavors load on first use, not with the client.
    const { logModel } = await import('./models.js');
    return logModel(this.modelDeps(), run, modelFile, options);
  }

  /**
   * Loads a model by URI (`models:/fraud@champion`, `models:/fraud/3`, `runs:/<id>/model`,
   * `models:/m-<id>`, …): `predict(frame)` with its signature enforced.
   */
  async loadModel(uri: string, options: { allowCode?: boolean } = {}): Promise<LoadedModelHandle> {
    this.checkOpen();
    const { loadModel } = await import('./models.js');
    return loadModel(this.modelDeps(), uri, options);
  }

  /**
   * Fetches the model directory a URI names into a new temporary directory (to load elsewhere,
   * e.g. in worker threads); `remove()` deletes it.
   */
  async downloadModel(uri: string): Promise<DownloadedModel> {
    this.checkOpen();
    const { downloadModel } = await import('./models.js');
    return downloadModel(this.modelDeps(), uri);
  }

  private modelDeps(): ModelResolverDeps {
    const local = this.artifactRoot instanceof LocalArtifactStore ? [this.artifactRoot.root] : [];
    return {
      tracking: this.tracking,
      registry: this.registry,
      loggedModels: this.loggedModels,
      proxyRoot: this.artifactRoot,
      allowedRoots: local,
    };
  }

  /** Creates a run (tags: the environment, then the caller's) and returns its live handle. */
  async startRun(options: StartRunOptions = {}): Promise<Run> {
    this.checkOpen();
    const [experimentId, env] = await Promise.all([
      this.experimentIdFor(options),
      options.captureEnvironment === false
        ? ({ tags: [], files: [] } satisfies CapturedEnvironment)
        : captureEnvironment(this.parts.environment),
    ]);
    const tags: KeyValue[] = [...env.tags, ...keyValues(options.tags)];
    if (options.seed !== undefined) tags.push({ key: ENV_TAGS.seed, value: valueText(options.seed) });
    const record = await this.tracking.createRun({
      ...(experimentId !== undefined ? { experimentId } : {}),
      ...(options.name ? { runName: options.name } : {}),
      tags,
    });
    const run = new Run(
      {
        tracking: this.tracking,
        artifactsFor: (uri) => this.artifactsFor(uri),
        ...(this.parts.metricBuffer ? { metricBuffer: this.parts.metricBuffer } : {}),
        onEnd: (r) => this.runs.delete(r),
      },
      record,
    );
    this.runs.add(run);
    try {
      if (options.seed !== undefined) await run.logParams({ seed: options.seed });
      if (env.files.length > 0) {
        const store = await run.artifacts();
        for (const f of env.files) await store.put(f.path, Buffer.from(f.content, 'utf8'));
      }
    } catch (e) {
      await run.end('FAILED').catch(() => {});
      throw e;
    }
    return run;
  }

  /** wandb's `init` on this client: ends the current run (if any) and starts the next one. */
  async init(options: InitOptions = {}): Promise<Run> {
    if (this.current && !this.current.ended) await this.current.end();
    this.current = undefined;
    const tags = Array.isArray(options.tags)
      ? Object.fromEntries(options.tags.map((t) => [t, 'true']))
      : (options.tags as Record<string, unknown> | undefined);
    const run = await this.startRun({
      ...(options.project ? { experiment: options.project } : {}),
      ...(options.name ? { name: options.name } : {}),
      ...(tags ? { tags } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.captureEnvironment !== undefined ? { captureEnvironment: options.captureEnvironment } : {}),
    });
    try {
      if (options.config) await run.logParams(flattenConfig(options.config));
    } catch (e) {
      await run.end('FAILED').catch(() => {});
      throw e;
    }
    this.current = run;
    return run;
  }

  /** wandb's `log` to the run of the last `init`: synchronous, the step counting up unless given. */
  log(record: Record<string, unknown>, options: { step?: number } = {}): boolean {
    if (!this.current) throw new CairnError('INVALID_STATE', 'No current run: call init() first');
    return this.current.log(record, options);
  }

  /** wandb's `finish`: ends the run of the last `init`. */
  async finish(status?: RunStatus): Promise<void> {
    const run = this.current;
    this.current = undefined;
    if (run) await run.end(status);
  }

  /** The run of the last `init`, until `finish`. */
  get currentRun(): Run | undefined {
    return this.current;
  }

  /**
   * The artifact store of a run (handle, record, info or id) or of an artifact URI:
   * `mlflow-artifacts:/…` resolves under `artifactRoot`, `s3://` and `file://` open their own backend.
   */
  async artifactsFor(target: ArtifactTarget): Promise<ArtifactStore> {
    let uri: string;
    if (target instanceof Run) uri = target.info.artifact_uri;
    else if (typeof target === 'string') {
      uri =
        isRunId(target) && !target.includes(':')
          ? (await this.tracking.getRun(target)).info.artifact_uri
          : target;
    } else uri = 'info' in target ? target.info.artifact_uri : target.artifact_uri;
    // Loaded on first use: the S3 adapter behind it is heavy, and most programs never need it.
    const { artifactStoreForUri } = await import('../store/artifact-uri.js');
    return artifactStoreForUri(uri, { proxyRoot: this.artifactRoot, env: this.parts.env });
  }

  /** Ends this client's live runs (FINISHED), then closes the store. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.runs].map((r) => r.end()));
      await this.parts.backends.close();
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private checkOpen(): void {
    if (this.closing) throw new CairnError('INVALID_STATE', 'This client is closed');
  }

  private async experimentIdFor(options: StartRunOptions): Promise<string | undefined> {
    if (options.experimentId !== undefined) return options.experimentId;
    const env = this.parts.env;
    const name =
      options.experiment ?? (env['MLFLOW_EXPERIMENT_ID'] ? undefined : env['MLFLOW_EXPERIMENT_NAME']);
    if (name) return (await this.tracking.ensureExperiment(name)).experiment_id;
    return env['MLFLOW_EXPERIMENT_ID'] || undefined;
  }
}
